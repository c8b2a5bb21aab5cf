/**
 * The phone page in a real Chromium against a real daemon (fake claude): create, prompt, stream,
 * tools, markdown, XSS, cancel, rename/delete, weight, and a 360 px screenshot.
 */
import { request as httpRequest } from 'node:http'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CHROMIUM,
  appliedIds,
  loginPage,
  newPage,
  openSession,
  renderedIds,
  screenshotPath,
  waitTurnStatus,
  type OpenedPage,
  startPageStack,
  stopPageStack,
} from '../helpers/browser.js'
import { isCatchupOf } from '../helpers/final-state.js'
import type { TestDaemon } from '../helpers/daemon.js'
import { createSession, history, postTurn, UNTIL_CANCELLED } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
let browser: Browser
let p: OpenedPage

/** GET with Accept-Encoding: gzip, bytes as they travel (no decompression). */
function rawGet(
  url: string
): Promise<{ status: number; encoding: string | undefined; bytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({
          status: res.statusCode ?? 0,
          encoding: res.headers['content-encoding'],
          bytes: body.length,
          body,
        })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.end()
  })
}

const nonDelta = (events: { id: number; kind: string }[]) =>
  events.filter((e) => e.kind !== 'text.delta').map((e) => e.id)

describe.skipIf(!CHROMIUM)('the phone page (fake claude)', () => {
  beforeAll(async () => {
    ;({ d, browser, p } = await startPageStack())
  })
  afterAll(() => stopPageStack({ p, browser, d }))

  it('first load is at most 100 KB gzipped and stays on 127.0.0.1', async () => {
    const index = await rawGet(`${d.url}/`)
    expect(index.status).toBe(200)
    expect(index.encoding).toBe('gzip')
    const { gunzipSync } = await import('node:zlib')
    const html = gunzipSync(index.body).toString('utf8')
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!)
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true)
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true)
    let total = index.bytes
    for (const a of assets) {
      const r = await rawGet(`${d.url}${a}`)
      expect(r.status, a).toBe(200)
      expect(r.encoding, a).toBe('gzip')
      total += r.bytes
    }
    console.log(`first-load transfer: ${total} bytes gzipped (${assets.join(', ')})`)
    expect(total).toBeLessThanOrEqual(100 * 1024)

    // Everything the page fetched so far (login, list, streams) went to the daemon only.
    const hosts = new Set(p.requests.map((r) => new URL(r.url()).host))
    expect([...hosts]).toEqual([new URL(d.url).host])
    // The token is gone from the address bar.
    expect(p.page.url()).not.toContain('token')
  })

  it(
    'creates a session from the page, streams the reply and shows the result line',
    { timeout: 120_000 },
    async () => {
      const { page } = p
      await page.goto(`${d.url}/#/`)
      await page.waitForSelector('[data-view=list]')
      await page.click('button.new-session')
      await page.fill('dialog[data-testid=new-session] input[name=title]', 'from the page')
      await page.selectOption(
        'dialog[data-testid=new-session] select[name=permissionMode]',
        'acceptEdits'
      )
      await page.screenshot({ path: screenshotPath('new-session-360x740.png') })
      await page.click('dialog[data-testid=new-session] button[type=submit]')
      await page.waitForSelector('[data-view=chat] .log[data-caught-up=true]', {
        state: 'attached',
      })
      const sid = await page.getAttribute('.log', 'data-session-id')
      expect(sid).toMatch(/^ses_/)
      await expect(page.textContent('header .title')).resolves.toBe('from the page')
      const created = await d.api.get(`/sessions/${sid}`)
      expect(created.body).toMatchObject({ title: 'from the page', permissionMode: 'acceptEdits' })

      // 20 s of streaming: the page must still show it streaming and running after the steps below,
      // also on a loaded machine; the turn then ends on its own.
      const prompt = 'hello from the phone\nsecond line [slow:20000]'
      await page.fill('textarea.prompt', prompt)
      await page.click('button.send')
      // The deltas stream into an open bubble before the final text replaces it.
      await page.waitForSelector('.assistant.streaming')
      await waitTurnStatus(page, 'running')
      await page.waitForSelector('.item[data-kind="turn.result"]', { timeout: 60_000 })
      await waitTurnStatus(page, 'completed')
      expect(await page.inputValue('textarea.prompt')).toBe('')
      expect(await page.textContent('.item.user .user-text')).toBe(prompt)
      const reply = await page.textContent('.item[data-kind=text] .md')
      expect(reply).toContain('FAKE: hello from the phone')
      expect(await page.$('.assistant.streaming')).toBeNull()
      expect(await page.textContent('.item[data-kind="turn.result"]')).toMatch(
        /\$[\d.]+ · .* in \/ .* out · /
      )
      expect(await page.textContent('.item[data-kind="turn.ended"]')).toMatch(/^Completed/)

      const h = await history(d, sid!)
      expect(await renderedIds(page)).toEqual(nonDelta(h))
      expect(await appliedIds(page)).toEqual(h.map((e) => e.id))
      const turns = (await d.api.get(`/sessions/${sid}/turns`)).body.turns
      expect(turns).toHaveLength(1)
      expect(turns[0].clientTurnId).toMatch(/^web-/)
    }
  )

  it('renders a tool call as a compact card whose input and result expand', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'tools' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'run it [tool:echo hello-from-card] [tool:sh -c "exit 3"]')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    const cards = await page.$$('details.tool')
    expect(cards.length).toBe(2)
    const first = page.locator('details.tool').first()
    await expect(first.locator('.tool-name').textContent()).resolves.toBe('Bash')
    await expect(first.locator('.tool-sum').textContent()).resolves.toContain(
      'echo hello-from-card'
    )
    expect(await first.getAttribute('data-tool-state')).toBe('ok')
    expect(await first.locator('.tool-result pre').isVisible()).toBe(false)
    await first.locator('summary').click()
    expect(await first.locator('.tool-result pre').isVisible()).toBe(true)
    await expect(first.locator('.tool-result pre').textContent()).resolves.toContain(
      'hello-from-card'
    )
    // The command reads as a command, not as the tool's JSON input (issue 12.9).
    await expect(first.locator('.tool-input .cmd').textContent()).resolves.toBe(
      '$ echo hello-from-card'
    )
    expect(await first.locator('.tool-body').textContent()).not.toContain('"command"')
    const second = page.locator('details.tool').nth(1)
    expect(await second.getAttribute('data-tool-state')).toBe('error')
    // The summary row is a tap target.
    const box = await first.locator('summary').boundingBox()
    expect(box!.height).toBeGreaterThanOrEqual(44)
  })

  it('renders markdown (table, code block, list) and shows thinking, denied tools and API retries', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'markdown' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'format please [markdown] [think] [retry:3] [denied:Write]')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    const md = page.locator('.item[data-kind=text] .md').last()
    expect(await md.locator('table th').count()).toBeGreaterThanOrEqual(2)
    await expect(md.locator('table td').first().textContent()).resolves.toBe('alpha')
    expect(await md.locator('pre code').count()).toBe(1)
    expect(await md.locator('ul li').count()).toBeGreaterThanOrEqual(2)
    expect(await md.locator('h1').count()).toBe(1)
    expect(await md.locator('strong').count()).toBeGreaterThanOrEqual(1)
    // the table scrolls inside its wrapper
    expect(await md.locator('.table-wrap > table').count()).toBe(1)

    const thinking = page.locator('details.thinking').first()
    expect(await thinking.getAttribute('open')).toBeNull()
    const retries = page.locator('.item[data-kind="agent.retry"]')
    expect(await retries.count()).toBe(3)
    // Retry lines are cleared when the turn ends (issue 12.7); the last one says how it went.
    await expect(retries.last().textContent()).resolves.toContain('after 3 retries')
    expect(await page.locator('.item[data-kind="agent.retry"]:visible').count()).toBe(0)
    const denied = page.locator('details.tool[data-tool-state=denied]')
    expect(await denied.count()).toBe(1)
    await expect(denied.locator('.tool-name').textContent()).resolves.toContain('Write')
  })

  it('marks a failed turn: its error and "Failed"', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'fails' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'break [stderr:something went badly] [exit-before-output]')
    await page.click('button.send')
    await waitTurnStatus(page, 'failed')
    expect(await page.locator('.item[data-kind=error]').count()).toBeGreaterThanOrEqual(1)
    await expect(page.locator('.item[data-kind=error]').first().textContent()).resolves.toContain(
      'something went badly'
    )
    // One plain sentence; the raw details (exit code, claude's stderr) one tap away (issue 12.6).
    await expect(page.textContent('.item[data-kind="turn.ended"] summary')).resolves.toMatch(
      /^claude quit unexpectedly \(exit code 1\)/
    )
    await page.click('.item[data-kind="turn.ended"] summary')
    await expect(page.textContent('.item[data-kind="turn.ended"] .ending-raw')).resolves.toMatch(
      /exit code: 1[\s\S]*something went badly/
    )
    await expect(page.textContent('.turnbar-text')).resolves.toMatch(/^Last turn failed/)
  })

  it('shows an HTML/script payload in a reply as text and never runs it', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'xss' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'be evil [html]')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined')
    expect(await page.locator('.log script').count()).toBe(0)
    expect(await page.locator('.log img').count()).toBe(0)
    expect(await page.locator('.log [onerror]').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(1) // the page's own bundle only
    const text = await page.locator('.item[data-kind=text] .md').last().textContent()
    expect(text).toContain('<script>window.__pwned=1</script>')
    expect(text).toContain('onerror=')
  })

  it('never loads anything from another host, whatever the reply links to', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'links' })
    await openSession(p, d, s.id)
    // fake claude echoes the prompt, so the prompt is the reply's markdown.
    await page.fill(
      'textarea.prompt',
      'look ![pic](http://example.com/pic.png) and [click](javascript:window.__pwned=3) and <img src="http://example.com/b.png"> and [docs](https://example.com/docs)'
    )
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    const md = page.locator('.item[data-kind=text] .md').last()
    expect(await md.locator('img').count()).toBe(0)
    expect(await md.locator('a[href^="javascript"]').count()).toBe(0)
    const docs = md.locator('a[href="https://example.com/docs"]')
    expect(await docs.getAttribute('rel')).toContain('noopener')
    expect(await docs.getAttribute('target')).toBe('_blank')
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined')
    const hosts = new Set(p.requests.map((r) => new URL(r.url()).host))
    expect([...hosts]).toEqual([new URL(d.url).host])
  })

  it(
    'keeps a long session smooth: thousands of events replay fast into a few nodes',
    { timeout: 120_000 },
    async () => {
      const { page } = p
      const s = await createSession(d, { title: 'long' })
      await postTurn(d, s.id, 'a lot [burst:4000]')
      await waitUntil(async () => (await d.api.get(`/sessions/${s.id}`)).body.status === 'idle', {
        label: 'the burst turn',
        timeoutMs: 30_000,
      })
      const h = await history(d, s.id)
      expect(h.length).toBeGreaterThan(4000)
      const t0 = Date.now()
      await openSession(p, d, s.id)
      const replayMs = Date.now() - t0
      console.log(`replayed ${h.length} events in ${replayMs} ms`)
      expect(replayMs).toBeLessThan(10_000)
      // Catch-up mode: the 4000 deltas of the finished reply are not replayed, its final text is.
      const applied = await appliedIds(page)
      expect(isCatchupOf(applied, h)).toBe(true)
      expect(applied.length).toBeLessThan(20)
      expect(await page.locator('.log .assistant').count()).toBe(1)
      const nodes = (await page.evaluate("document.querySelectorAll('.log *').length")) as number
      expect(nodes).toBeLessThan(100)

      // Live: a fast burst streams into one bubble and the page keeps up. 20 s at that rate: the
      // bubble is still streaming when the page is looked at, also on a loaded machine.
      await page.fill('textarea.prompt', 'more [burst:30000] [burst-rate:1500]')
      await page.click('button.send')
      await page.waitForSelector('.assistant.streaming')
      await waitTurnStatus(page, 'completed', 60_000)
      const h2 = await history(d, s.id)
      expect(isCatchupOf(await appliedIds(page), h2)).toBe(true)
      expect((await appliedIds(page)).filter((id) => id > h.at(-1)!.id)).toEqual(
        h2.filter((e) => e.id > h.at(-1)!.id).map((e) => e.id)
      )
      expect(await page.locator('.log .assistant').count()).toBe(2)
    }
  )

  it('cancels a slow turn from the page: the status ends "cancelled"', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'cancel me' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', `a long story ${UNTIL_CANCELLED}`)
    await page.click('button.send')
    await page.waitForSelector('.assistant.streaming')
    await waitTurnStatus(page, 'running')
    await expect(page.textContent('.turnbar-text')).resolves.toMatch(
      /^Running since \d\d:\d\d:\d\d · 0:\d\d/
    )
    await page.click('.turnbar button.cancel')
    await waitTurnStatus(page, 'cancelled', 20_000)
    await expect(page.textContent('.item[data-kind="turn.ended"] summary')).resolves.toMatch(
      /^You cancelled this turn after /
    )
    const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns
    expect(turns.map((t: { status: string }) => t.status)).toEqual(['cancelled'])
    expect(await page.locator('.turnbar button.cancel').isVisible()).toBe(false)
  })

  it(
    'lists sessions live with status and elapsed time; renames and deletes with a confirm',
    { timeout: 120_000 },
    async () => {
      const { page } = p
      await page.goto(`${d.url}/#/`)
      await page.waitForSelector('[data-view=list]')
      const s = await createSession(d, { title: 'list me' })
      const row = page.locator(`.srow[data-session-id="${s.id}"]`)
      await row.waitFor()
      await expect(row.locator('.badge').textContent()).resolves.toBe('idle')
      // Running for 20 s: still running when the list is looked at, also on a loaded machine.
      await postTurn(d, s.id, 'busy [slow:20000]')
      await page.waitForSelector(`.srow[data-session-id="${s.id}"][data-status=running]`)
      await page.waitForFunction(
        (id) =>
          /^running \d+:\d\d$/.test(
            (globalThis as any).document.querySelector(`.srow[data-session-id="${id}"] .badge`)
              ?.textContent ?? ''
          ),
        s.id,
        { timeout: 10_000 }
      )
      // the most recently active session is first
      expect(await page.locator('.srow').first().getAttribute('data-session-id')).toBe(s.id)
      await page.waitForSelector(`.srow[data-session-id="${s.id}"][data-status=idle]`, {
        timeout: 60_000,
      })
      await expect(row.locator('.srow-meta').textContent()).resolves.toMatch(
        /just now · \$[\d.]+ · 1 turn$/
      )

      await row.locator('button.icon-btn').click()
      await page.click('dialog[data-testid=session-actions] >> text=Rename')
      await page.fill('dialog[data-testid=rename] input[name=title]', 'renamed here')
      await page.click('dialog[data-testid=rename] button[type=submit]')
      await page.waitForFunction(
        (id) =>
          (globalThis as any).document.querySelector(`.srow[data-session-id="${id}"] .srow-title`)
            ?.textContent === 'renamed here',
        s.id
      )
      expect((await d.api.get(`/sessions/${s.id}`)).body.title).toBe('renamed here')

      await row.locator('button.icon-btn').click()
      await page.click('dialog[data-testid=session-actions] >> text=Delete')
      await page.waitForSelector('dialog[data-testid=confirm-delete]')
      // Cancel first: nothing happens.
      await page.click('dialog[data-testid=confirm-delete] button:not([type=submit])')
      expect((await d.api.get(`/sessions/${s.id}`)).status).toBe(200)
      await row.locator('button.icon-btn').click()
      await page.click('dialog[data-testid=session-actions] >> text=Delete')
      await page.click('dialog[data-testid=confirm-delete] button[type=submit]')
      await row.waitFor({ state: 'detached' })
      expect((await d.api.get(`/sessions/${s.id}`)).status).toBe(404)
    }
  )

  it('leaves a session deleted elsewhere while it is on screen', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'doomed' })
    await openSession(p, d, s.id)
    expect((await d.api.del(`/sessions/${s.id}`)).status).toBe(204)
    await page.waitForSelector('[data-view=list]')
    await expect(page.textContent('.toasts')).resolves.toContain('no longer exists')
    expect(await page.locator(`.srow[data-session-id="${s.id}"]`).count()).toBe(0)
  })

  it('fits a 360 px screen: no horizontal scroll, 44 px tap targets; saves screenshots', async () => {
    const { page } = p
    await page.reload()
    await page.waitForSelector('[data-view]')
    const s = await createSession(d, { title: 'Fix the flaky upload test' })
    await postTurn(
      d,
      s.id,
      'why does test/upload.spec.ts fail on CI? [think] [tool:echo "FAIL upload.spec.ts > retries (timeout 5000ms)"] [markdown]'
    )
    await waitUntil(async () => (await d.api.get(`/sessions/${s.id}`)).body.status === 'idle', {
      label: 'turn 1 ends',
      timeoutMs: 20_000,
    })
    await postTurn(d, s.id, `now write the fix and run the suite ${UNTIL_CANCELLED}`)
    await openSession(p, d, s.id)
    await page.waitForSelector('.assistant.streaming')
    await page.fill('textarea.prompt', 'also check the retry backoff')
    // open the first tool card, as a person would
    await page.locator('details.tool summary').first().click()
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)')

    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth'
    )
    expect(overflow).toBe(0)
    const small =
      await page.evaluate(`[...document.querySelectorAll('button, a, summary, textarea, select, input')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => { const r = e.getBoundingClientRect(); return { t: e.outerHTML.slice(0, 60), w: r.width, h: r.height } })
      .filter((r) => (r.h < 44 || r.w < 44) && !r.t.startsWith('<a href="http'))`)
    expect(small).toEqual([])
    await page.screenshot({ path: screenshotPath('chat-360x740.png') })
    await page.screenshot({ path: screenshotPath('chat-360x740-full.png'), fullPage: true })

    const dark = await newPage(browser, { colorScheme: 'dark' })
    try {
      await loginPage(d, dark)
      await dark.page.screenshot({ path: screenshotPath('list-360x740-dark.png') })
      await openSession(dark, d, s.id)
      await dark.page.waitForSelector('.assistant.streaming')
      const bg = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor')
      expect(bg).toBe('rgb(20, 22, 26)')
      await dark.page.screenshot({ path: screenshotPath('chat-360x740-dark.png') })
    } finally {
      await dark.close()
    }
    await d.api.post(`/sessions/${s.id}/cancel`)
    await page.goto(`${d.url}/#/`)
    await page.waitForSelector('[data-view=list] .srow')
    await page.screenshot({ path: screenshotPath('list-360x740.png') })
    // No script error in the whole file (404s of the deleted sessions' streams are expected).
    expect(p.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([])
  })
})
