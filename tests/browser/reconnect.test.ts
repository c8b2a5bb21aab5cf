/**
 * The point of the product: a phone on a flaky connection. Offline mid-turn, reload mid-turn,
 * prompts sent while offline, lost answers, cursor resets and a daemon restart: the page ends up
 * with exactly the daemon's events, once each, and a prompt starts exactly one turn.
 */
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  CHROMIUM,
  appliedIds,
  loginPage,
  newPage,
  openSession,
  renderedIds,
  waitTurnStatus,
  type OpenedPage,
  startPageStack,
  stopPageStack,
} from '../helpers/browser.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { isCatchupOf } from '../helpers/final-state.js'
import { createSession, history } from '../helpers/session.js'
import type { LogEvent } from '../helpers/sse.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
let browser: Browser
let p: OpenedPage

const nonDelta = (events: LogEvent[]) =>
  events.filter((e) => e.kind !== 'text.delta').map((e) => e.id)

async function turns(
  sid: string
): Promise<{ id: string; status: string; clientTurnId: string | null }[]> {
  return (await d.api.get(`/sessions/${sid}/turns`)).body.turns
}

async function idle(sid: string, label: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(async () => (await d.api.get(`/sessions/${sid}`)).body.status === 'idle', {
    label,
    timeoutMs,
    intervalMs: 100,
  })
}

/** The chat attaches in catch-up mode (README, Catch-up), newest turns first; visible=1 while shown (presence). */
const ATTACH = '&mode=catchup&turns=3&visible=1'

/**
 * The page shows exactly the daemon's log: every event once, in order, deltas folded into texts.
 * It attaches in catch-up mode, so the deltas of a block whose final text it got may be missing.
 */
async function expectInSync(sid: string): Promise<void> {
  const h = await history(d, sid)
  const applied = await appliedIds(p.page)
  expect(isCatchupOf(applied, h), `applied ${JSON.stringify(applied)}`).toBe(true)
  expect(await renderedIds(p.page)).toEqual(nonDelta(h))
  const texts = h.filter((e) => e.kind === 'text').map((e) => e.text)
  const shown = await p.page.$$eval('.log .item[data-kind=text] .md', (els) =>
    els.map((e) => e.textContent)
  )
  expect(shown.length).toBe(texts.length)
}

async function conn(state: string, timeout = 20_000): Promise<void> {
  await p.page.waitForSelector(`.pill[data-conn="${state}"]`, { timeout })
}

describe.skipIf(!CHROMIUM)('reconnection', () => {
  beforeAll(async () => {
    ;({ d, browser, p } = await startPageStack())
  })
  afterEach(async () => {
    // A failed test must not leave the next one offline or with a route in place.
    await p?.context.setOffline(false)
    await p?.page.unrouteAll({ behavior: 'ignoreErrors' })
  })
  afterAll(() => stopPageStack({ p, browser, d }))

  it(
    'goes offline mid-turn and back: catches up with no duplicated and no missing event',
    { timeout: 120_000 },
    async () => {
      const { page, context } = p
      const s = await createSession(d, { title: 'offline' })
      await openSession(p, d, s.id)
      await conn('live')
      // 20 s: the page goes offline before the turn ends, also on a loaded machine.
      await page.fill('textarea.prompt', 'stream while I drive through a tunnel [slow:20000]')
      await page.click('button.send')
      await page.waitForSelector('.assistant.streaming')
      await context.setOffline(true)
      await conn('offline')
      const seenOffline = (await appliedIds(page)).length
      // The turn goes on without us.
      await idle(s.id, 'the turn ends while the page is offline', 60_000)
      const h = await history(d, s.id)
      expect(seenOffline).toBeLessThan(h.length)
      await context.setOffline(false)
      await conn('live')
      await waitTurnStatus(page, 'completed')
      await expectInSync(s.id)
    }
  )

  it(
    'reloads mid-turn: the conversation is rebuilt and the live tail continues',
    { timeout: 120_000 },
    async () => {
      const { page } = p
      const s = await createSession(d, { title: 'reload' })
      await openSession(p, d, s.id)
      await page.fill('textarea.prompt', 'first [markdown]')
      await page.click('button.send')
      await waitTurnStatus(page, 'completed')
      // Long enough to outlast a reload and the steps after it on a loaded machine, short enough to
      // end within the wait below.
      await page.fill('textarea.prompt', 'second, slowly [slow:30000]')
      await page.click('button.send')
      await page.waitForSelector('.assistant.streaming')
      await page.reload()
      await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
      // Rebuilt from the log, and still streaming live.
      await page.waitForSelector('.assistant.streaming')
      await waitTurnStatus(page, 'running')
      const before = await page.textContent('.assistant.streaming')
      await page.waitForFunction(
        (n) =>
          ((globalThis as any).document.querySelector('.assistant.streaming')?.textContent
            ?.length ?? Infinity) > n,
        before!.length,
        {
          timeout: 10_000,
        }
      )
      await waitTurnStatus(page, 'completed', 60_000)
      expect(await page.locator('.item.user').count()).toBe(2)
      await expectInSync(s.id)
    }
  )

  it('sends a prompt written offline exactly once when the network is back', async () => {
    const { page, context } = p
    const s = await createSession(d, { title: 'offline send' })
    await openSession(p, d, s.id)
    await context.setOffline(true)
    await conn('offline')
    await page.fill('textarea.prompt', 'written in the tunnel')
    await page.click('button.send')
    await page.waitForSelector('.composer[data-state=pending]')
    await expect(page.textContent('.cnote')).resolves.toContain('offline')
    // The text stays in the box, read-only, and in localStorage with its clientTurnId.
    expect(await page.inputValue('textarea.prompt')).toBe('written in the tunnel')
    const stored = JSON.parse(
      (await page.evaluate(`localStorage.getItem('agentmux:draft:${s.id}')`)) as string
    )
    expect(stored).toMatchObject({ text: 'written in the tunnel', pending: true })
    expect(stored.cid).toMatch(/^web-/)
    expect(await turns(s.id)).toHaveLength(0)

    await context.setOffline(false)
    await page.waitForSelector('.item.user')
    await waitTurnStatus(page, 'completed')
    expect(await page.inputValue('textarea.prompt')).toBe('')
    expect(await page.evaluate(`localStorage.getItem('agentmux:draft:${s.id}')`)).toBeNull()
    // More signs of life do not send it again.
    await page.evaluate(`window.dispatchEvent(new Event('online'))`)
    await conn('live')
    const t = await turns(s.id)
    expect(t).toHaveLength(1)
    expect(t[0]!.clientTurnId).toBe(stored.cid)
    await expectInSync(s.id)
  })

  it('retries a send whose answer was lost with the same clientTurnId: one turn', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'lost answer' })
    await openSession(p, d, s.id)
    const bodies: { prompt: string; clientTurnId: string }[] = []
    await page.route('**/sessions/*/turns', async (route) => {
      if (route.request().method() !== 'POST') return route.continue()
      bodies.push(route.request().postDataJSON())
      if (bodies.length === 1) {
        // The daemon gets it and starts the turn, but the answer never reaches the phone.
        const res = await route.fetch()
        expect(res.status()).toBe(202)
        return route.abort('connectionreset')
      }
      return route.continue()
    })
    try {
      await page.fill('textarea.prompt', 'only once please')
      await page.click('button.send')
      await waitTurnStatus(page, 'completed')
      await page.waitForFunction(
        () => (globalThis as any).document.querySelector('textarea.prompt').value === '',
        null,
        { timeout: 15_000 }
      )
    } finally {
      await page.unroute('**/sessions/*/turns')
    }
    expect(bodies.length).toBeGreaterThanOrEqual(2)
    expect(new Set(bodies.map((b) => b.clientTurnId)).size).toBe(1)
    expect(await turns(s.id)).toHaveLength(1)
    expect(await page.locator('.item.user').count()).toBe(1)
  })

  it('keeps an unsent draft across a reload, and resumes a pending send after one', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'drafts' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'half a thought')
    await page.reload()
    await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
    expect(await page.inputValue('textarea.prompt')).toBe('half a thought')

    // Every POST of a turn fails as if the network dropped it, so the send stays pending.
    let blocking = true
    const attempts: string[] = []
    await page.route('**/sessions/*/turns', async (route) => {
      if (route.request().method() !== 'POST') return route.continue()
      attempts.push(route.request().postDataJSON().clientTurnId)
      return blocking ? route.abort('internetdisconnected') : route.continue()
    })
    await page.click('button.send')
    await page.waitForSelector('.composer[data-state=pending]')
    const cid = JSON.parse(
      (await page.evaluate(`localStorage.getItem('agentmux:draft:${s.id}')`)) as string
    ).cid
    const before = attempts.length
    // The page goes away with the prompt unsent; the next load picks the send up on its own.
    await page.reload()
    await page.waitForSelector('.composer[data-state=pending]')
    await waitUntil(() => attempts.length > before, {
      label: 'a send attempt after the reload',
      timeoutMs: 10_000,
    })
    expect(await page.inputValue('textarea.prompt')).toBe('half a thought')
    blocking = false
    await page.evaluate(`window.dispatchEvent(new Event('online'))`)
    await page.waitForSelector('.item.user')
    await waitTurnStatus(page, 'completed')
    expect(new Set(attempts)).toEqual(new Set([cid]))
    const t = await turns(s.id)
    expect(t.map((x) => x.clientTurnId)).toEqual([cid])
    expect(await page.inputValue('textarea.prompt')).toBe('')
  })

  it('coming back to a session resumes after its last event instead of replaying it all', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'back and forth' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'first visit')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    const last = Number(await page.getAttribute('.log', 'data-last-event-id'))
    await page.click('header a.back')
    await page.waitForSelector('[data-view=list]')
    // Meanwhile, another client runs a turn.
    await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'from elsewhere' })
    await idle(s.id, 'the other turn')
    const urls = p.requests.length
    await page.click(`.srow[data-session-id="${s.id}"] a.srow-main`)
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('.item.user').length === 2,
      null,
      { timeout: 10_000 }
    )
    const attach = p.requests
      .slice(urls)
      .map((r) => r.url())
      .filter((u) => u.includes(`/sessions/${s.id}/events`))
    expect(attach).toEqual([`${d.url}/sessions/${s.id}/events?after=${last}${ATTACH}`])
    await expectInSync(s.id)
  })

  it('reopens both streams with ?after=<last id> when the page comes back (visibility, pageshow, online)', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'wake up' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'something')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    await conn('live')
    const last = Number(await page.getAttribute('.log', 'data-last-event-id'))
    const wakes = [
      `document.dispatchEvent(new Event('visibilitychange'))`,
      `window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))`,
      `window.dispatchEvent(new Event('online'))`,
    ]
    for (const wake of wakes) {
      const from = p.requests.length
      await page.evaluate(wake)
      await waitUntil(
        () => {
          const urls = p.requests.slice(from).map((r) => r.url())
          return (
            urls.includes(`${d.url}/sessions/${s.id}/events?after=${last}${ATTACH}`) &&
            urls.includes(`${d.url}/events`)
          )
        },
        { label: `both streams reopened after ${wake}`, timeoutMs: 5_000 }
      )
      // A quiet reopen of a healthy stream does not flash "reconnecting".
      expect(await page.getAttribute('.pill', 'data-conn')).toBe('live')
    }
    await conn('live')
    // A phone waking up fires all three at once: each kick finds the one before it still
    // connecting, and that does not flash "reconnecting" either.
    const shown = await page.evaluate(`(() => {
      ${wakes.join(';')}
      return document.querySelector('.pill').dataset.conn
    })()`)
    expect(shown).toBe('live')
    await conn('live')
    await expectInSync(s.id)
  })

  it('the watchdog reopens a stream that stayed silent for 40 s', async () => {
    const q = await newPage(browser)
    try {
      await q.page.clock.install()
      await loginPage(d, q)
      const s = await createSession(d, { title: 'watchdog' })
      await openSession(q, d, s.id)
      await q.page.waitForSelector('.pill[data-conn=live]')
      const from = q.requests.length
      await q.page.clock.fastForward(45_000)
      await waitUntil(
        () =>
          q.requests
            .slice(from)
            .some((r) => r.url() === `${d.url}/sessions/${s.id}/events?after=0${ATTACH}`),
        {
          label: 'the watchdog reopening the session stream',
          timeoutMs: 10_000,
        }
      )
      await q.page.waitForSelector('.pill[data-conn=live]')
    } finally {
      await q.close()
    }
  })

  it('rebuilds from scratch on event: reset (a cursor beyond the head)', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'reset' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'something to rebuild [tool:echo hi]')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    // Pretend our cursor came from another life of this session, then force a reconnect.
    await page.evaluate(
      `window.agentmux.view.last = 999999999; window.dispatchEvent(new Event('online'))`
    )
    await page.waitForFunction(() => (globalThis as any).agentmux.view.last < 999999999, null, {
      timeout: 10_000,
    })
    await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
    await waitTurnStatus(page, 'completed')
    await expectInSync(s.id)
  })

  it('survives a daemon restart (event: shutdown): reconnects and goes on', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'restart' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'before the restart')
    await page.click('button.send')
    await waitTurnStatus(page, 'completed')
    const port = Number(new URL(d.url).port)
    const dataDir = d.dataDir
    await d.daemon.stop()
    await page.waitForSelector('.pill:not([data-conn=live])', { timeout: 10_000 })
    d = await startTestDaemon({ config: { port, dataDir } })
    await conn('live', 30_000)
    await page.fill('textarea.prompt', 'after the restart')
    await page.click('button.send')
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('.item.user').length === 2,
      null,
      { timeout: 20_000 }
    )
    await waitTurnStatus(page, 'completed')
    await expectInSync(s.id)
  })
})
