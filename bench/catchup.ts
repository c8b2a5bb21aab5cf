/**
 * catchup (issue 12.4): the phone page on a slow link, in Chromium, against the real daemon.
 *
 * A session gets "one hour of typical traffic" from the fake claude: ≥ 20,000 events, mostly
 * text deltas, with tool calls and a few 3 KiB outputs. The network is emulated over CDP
 * (Network.emulateNetworkConditions: 400 kbit/s down, 400 ms latency).
 * (a) Pages opened before the hour, then offline for it (as a hidden phone tab), come back: time
 *     from "network back" to the last turn's end on screen, and the bytes received, in catch-up
 *     mode (what the page does) and with the page's stream rewritten to the exact log (a full
 *     replay, as before catch-up existed) in the same run.
 * (b) A cold open of the chat with the shell cached by the service worker:
 *     navigation start → the latest turn's final text on screen.
 * Bytes are CDP's encodedDataLength (what crossed the network, after compression).
 */
import { execFileSync } from 'node:child_process'
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core'
import {
  api,
  createSession,
  headEventId,
  startDaemon,
  startTurn,
  TOKEN,
  waitIdle,
} from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'

const SLOW_3G = {
  offline: false,
  latency: 400,
  downloadThroughput: 400_000 / 8,
  uploadThroughput: 400_000 / 8,
}
const OFFLINE = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
]

/** One turn of a busy hour: a few tool calls (one in four prints ~3 KiB), then a streamed reply. */
function hourTurn(i: number): string {
  const tools =
    i % 4 === 0 ? '[tool:echo checking] [tool:seq 10000 10550]' : '[tool:echo checking] [tool:ls /]'
  return `step ${i}: ${tools} [burst:600]`
}

interface Tab {
  page: Page
  cdp: CDPSession
  bytes: number
}

async function openTab(browser: Browser, base: string, sid: string): Promise<Tab> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  })
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  const tab: Tab = { page, cdp, bytes: 0 }
  await cdp.send('Network.enable')
  cdp.on(
    'Network.dataReceived',
    (e: { encodedDataLength: number }) => (tab.bytes += e.encodedDataLength)
  )
  cdp.on(
    'Network.responseReceived',
    (e: { response: { encodedDataLength?: number } }) =>
      (tab.bytes += e.response.encodedDataLength ?? 0)
  )
  await page.goto(`${base}/#token=${encodeURIComponent(TOKEN)}`)
  await page.waitForSelector('[data-view=list]')
  await page.goto(`${base}/#/s/${sid}`)
  await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
  return tab
}

/** Milliseconds (page clock) until the turn's end is on screen, from `t0` (page clock). */
async function untilShown(
  page: Page,
  turnId: string,
  t0: number,
  timeoutMs: number
): Promise<number> {
  const sel = `.turn[data-turn-id="${turnId}"] .item[data-kind="turn.ended"]`
  // A function, not a string: the page's CSP forbids eval.
  const shown = (s: string) =>
    (globalThis as any).document.querySelector(s) ? performance.now() : 0
  const handle = await page.waitForFunction(shown, sel, { polling: 'raf', timeout: timeoutMs })
  return ((await handle.jsonValue()) as number) - t0
}

async function comeBack(
  tab: Tab,
  lastTurn: string,
  timeoutMs: number
): Promise<{ ms: number; bytes: number }> {
  tab.bytes = 0
  const t0 = (await tab.page.evaluate('performance.now()')) as number
  await tab.cdp.send('Network.emulateNetworkConditions', SLOW_3G)
  const ms = await untilShown(tab.page, lastTurn, t0, timeoutMs)
  return { ms, bytes: tab.bytes }
}

export async function runCatchup(ctx: BenchContext): Promise<Metric[]> {
  const chromePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim()
  const reps = ctx.quick ? 2 : 3
  const turns = ctx.quick ? 24 : 34
  const d = await startDaemon()
  const browser = await chromium.launch({ executablePath: chromePath, args: ARGS })
  try {
    const sid = await createSession(d.url, 'one busy hour')
    await startTurn(d.url, sid, 'start of the hour [tool:echo hi]')
    await waitIdle(d.url, sid)
    // The tabs that will be hidden for the hour: catch-up ones, and full-replay ones.
    const tabs: Tab[] = []
    for (let i = 0; i < reps * 2; i++) tabs.push(await openTab(browser, d.url, sid))
    for (const t of tabs) await t.cdp.send('Network.emulateNetworkConditions', OFFLINE)
    const full = tabs.slice(reps)
    for (const t of full) {
      // As before catch-up: the exact log from the cursor.
      await t.page.route(/\/sessions\/[^/]+\/events\?/, (route) =>
        route.continue({
          url: route
            .request()
            .url()
            .replace(/&mode=catchup&turns=\d+/, ''),
        })
      )
    }
    const from = await headEventId(d.url, sid)
    let lastTurn = ''
    for (let i = 0; i < turns; i++) {
      lastTurn = await startTurn(d.url, sid, hourTurn(i))
      await waitIdle(d.url, sid)
    }
    const head = await headEventId(d.url, sid)
    const missed = await countEvents(d.url, sid, from)
    ctx.log(
      `hour: ${missed.events} events (${missed.deltas} deltas, ${(missed.bytes / 1e6).toFixed(2)} MB of JSON), ids ${from}–${head}`
    )

    const cu: { ms: number; bytes: number }[] = []
    const fr: { ms: number; bytes: number }[] = []
    for (let i = 0; i < reps; i++) {
      cu.push(await comeBack(tabs[i]!, lastTurn, 60_000))
      fr.push(await comeBack(full[i]!, lastTurn, 300_000))
      ctx.log(
        `back after the hour: catch-up ${cu[i]!.ms.toFixed(0)} ms ${cu[i]!.bytes} B; full replay ${fr[i]!.ms.toFixed(0)} ms ${fr[i]!.bytes} B`
      )
    }

    // (b) Cold open with the shell cached by the service worker: a tab that loaded the page before
    // (so the worker is installed and holds the shell) opens the chat anew.
    const cold: { ms: number; bytes: number }[] = []
    for (let i = 0; i < reps; i++) {
      const tab = await openTab(browser, d.url, sid)
      await tab.page.evaluate('navigator.serviceWorker.ready.then(() => true)')
      await tab.page.goto('about:blank')
      await tab.cdp.send('Network.emulateNetworkConditions', SLOW_3G)
      tab.bytes = 0
      const t0 = Date.now()
      await tab.page.goto(`${d.url}/#/s/${sid}`, { waitUntil: 'commit' })
      const navStart = (await tab.page.evaluate('performance.timeOrigin')) as number
      const ms = await untilShown(tab.page, lastTurn, 0, 60_000)
      cold.push({ ms, bytes: tab.bytes })
      ctx.log(
        `cold open: ${ms.toFixed(0)} ms after navigation start (commit after ${(navStart - t0).toFixed(0)} ms), ${tab.bytes} B`
      )
      await tab.page.context().close()
    }
    ctx.extra.catchup = { events: missed, catchup: cu, fullReplay: fr, coldOpen: cold }

    const note = `${missed.events} missed events (${missed.deltas} deltas), 400 kbit/s, 400 ms latency`
    return [
      metric({
        bench: 'catchup',
        metric: 'back after 1 h: latest state on screen',
        unit: 'ms',
        samples: cu.map((x) => x.ms),
        baselineSamples: fr.map((x) => x.ms),
        baselineLabel: 'full replay',
        target: '< 1000 ms',
        check: (v) => v < 1000,
        note,
      }),
      metric({
        bench: 'catchup',
        metric: 'back after 1 h: bytes received',
        unit: 'B',
        samples: cu.map((x) => x.bytes),
        baselineSamples: fr.map((x) => x.bytes),
        baselineLabel: 'full replay',
        target: '≤ 10 % of full replay',
        check: (v, b) => b !== null && v <= b * 0.1,
      }),
      metric({
        bench: 'catchup',
        metric: 'cold open (shell from the service worker): latest turn readable',
        unit: 'ms',
        samples: cold.map((x) => x.ms),
        target: '< 1500 ms',
        check: (v) => v < 1500,
        note: 'the service worker serves the shell; the data comes over the slow link',
      }),
      metric({
        bench: 'catchup',
        metric: 'cold open: bytes received',
        unit: 'B',
        samples: cold.map((x) => x.bytes),
      }),
    ]
  } finally {
    await browser.close()
    await d.stop()
  }
}

/** The events after a cursor: how many, how many deltas, and their JSON size (uncompressed). */
async function countEvents(
  base: string,
  sid: string,
  after: number
): Promise<{ events: number; deltas: number; bytes: number }> {
  let events = 0
  let deltas = 0
  let bytes = 0
  for (let cursor = after; ;) {
    const r = await api(base, 'GET', `/sessions/${sid}/history?after=${cursor}&limit=1000`)
    const body = r.body as { events: { kind: string }[]; lastEventId: number; hasMore: boolean }
    for (const e of body.events) {
      events++
      if (e.kind === 'text.delta') deltas++
      bytes += JSON.stringify(e).length
    }
    cursor = body.lastEventId
    if (!body.hasMore) return { events, deltas, bytes }
  }
}
