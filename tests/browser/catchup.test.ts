/**
 * The page attaches in catch-up mode (issue 12.1-2): it opens with the newest turns, loads older
 * ones on scroll up, and a reconnect after missed turns gets final texts instead of every delta.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CHROMIUM,
  appliedIds,
  openSession,
  renderedIds,
  type OpenedPage,
  startPageStack,
  stopPageStack,
} from '../helpers/browser.js'
import type { TestDaemon } from '../helpers/daemon.js'
import { isCatchupOf } from '../helpers/final-state.js'
import { createSession, history, runTurn } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
let browser: Browser
let p: OpenedPage

const shownTurns = () =>
  p.page.$$eval('.log .turn', (els) => els.map((e) => e.getAttribute('data-turn-id')))

describe.skipIf(!CHROMIUM)('catch-up on the page (360×740)', () => {
  beforeAll(async () => {
    ;({ d, browser, p } = await startPageStack({ page: { width: 360, height: 740 } }))
  })
  afterAll(() => stopPageStack({ p, browser, d }))

  it('opens with the newest turns, loads older turns on scroll up, and reconnects in catch-up mode', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'long day' })
    const turns: string[] = []
    for (let i = 0; i < 8; i++)
      turns.push((await runTurn(d, s.id, `turn ${i} [burst:40] [tool:echo ${i}]`)).turnId)

    const from = p.requests.length
    await openSession(p, d, s.id)
    const attach = p.requests
      .slice(from)
      .map((r) => r.url())
      .filter((u) => u.includes(`/sessions/${s.id}/events`))
    expect(attach[0]).toBe(
      `${d.url}/sessions/${s.id}/events?after=0&mode=catchup&turns=3&visible=1`
    )
    // The stream brought the newest three turns, and no delta of their finished replies (older
    // turns may already be loading from /history: three short turns do not fill the screen).
    const h = await history(d, s.id)
    const turnOf = new Map(h.map((e) => [e.id, e.turnId]))
    const streamed = await appliedIds(page)
    expect([...new Set(streamed.map((id) => turnOf.get(id)))]).toEqual(turns.slice(5))
    const deltas = new Set(h.filter((e) => e.kind === 'text.delta').map((e) => e.id))
    expect(streamed.some((id) => deltas.has(id))).toBe(false)
    expect((await shownTurns()).slice(-3)).toEqual(turns.slice(5))

    // Scrolling up loads older turns, three at a time, until the first one.
    for (let i = 0; i < 5 && (await shownTurns()).length < turns.length; i++) {
      const before = (await shownTurns()).length
      await page.evaluate('window.scrollTo(0, 0)')
      await page.evaluate("window.dispatchEvent(new Event('scroll'))")
      await waitUntil(async () => (await shownTurns()).length > before, {
        label: 'older turns after a scroll up',
        timeoutMs: 10_000,
      })
    }
    expect(await shownTurns()).toEqual(turns)
    expect(await renderedIds(page)).toEqual(
      h.filter((e) => e.kind !== 'text.delta').map((e) => e.id)
    )
    await waitUntil(async () => !(await page.isVisible('button.older')), {
      label: 'no more older turns',
      timeoutMs: 5_000,
    })

    // Away while two more turns run: the reconnect asks for a catch-up after its cursor.
    await p.context.setOffline(true)
    await page.waitForSelector('.pill[data-conn="offline"]')
    const last = Number(await page.evaluate('window.agentmux.view.last'))
    for (let i = 8; i < 10; i++) turns.push((await runTurn(d, s.id, `turn ${i} [burst:40]`)).turnId)
    const mark = p.requests.length
    await p.context.setOffline(false)
    await page.waitForSelector('.pill[data-conn="live"]')
    await waitUntil(async () => (await shownTurns()).includes(turns[9]!), {
      label: 'the missed turns',
      timeoutMs: 10_000,
    })
    const urls = p.requests.slice(mark).map((r) => r.url())
    expect(urls).toContain(
      `${d.url}/sessions/${s.id}/events?after=${last}&mode=catchup&turns=3&visible=1`
    )
    const h2 = await history(d, s.id)
    const applied = await appliedIds(page)
    const missed = applied.filter((id) => id > last)
    expect(
      isCatchupOf(
        missed,
        h2.filter((e) => e.id > last)
      )
    ).toBe(true)
    expect(missed.length).toBeLessThan(h2.filter((e) => e.id > last).length - 70)
    expect(await shownTurns()).toEqual(turns)
    // Only the requests refused while offline, on purpose.
    expect(p.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([])
  })
  it('attaches an image from the composer: it goes with the prompt and the box empties', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'photo' })
    await openSession(p, d, s.id)
    // A 1×1 PNG.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64'
    )
    await page.setInputFiles('.attach input[type=file]', {
      name: 'shot.png',
      mimeType: 'image/png',
      buffer: png,
    })
    await page.waitForSelector('.attach-chips .chip')
    expect(await page.textContent('.attach-chips')).toContain('shot.png')
    await page.fill('textarea.prompt', 'what is this?')
    await page.click('button.send')
    await waitUntil(async () => (await history(d, s.id)).some((e) => e.kind === 'turn.ended'), {
      label: 'the turn',
      timeoutMs: 20_000,
    })
    const started = (await history(d, s.id)).find((e) => e.kind === 'turn.started')!
    expect(started.attachments).toEqual([{ mediaType: 'image/png', bytes: png.length }])
    expect(await page.isVisible('.attach-chips')).toBe(false)
    expect(await page.inputValue('textarea.prompt')).toBe('')
  })
})
