/**
 * The load-generating client process: opens N SSE streams (each its own socket) and reports over
 * IPC. It runs apart from the daemon (and from the orchestrator), so its CPU and memory are its own.
 *
 * Parent → child:  {cmd:'open', url, n, concurrency, token, latency}   → {type:'opened', ok, failed, ms}
 *                  {cmd:'result'}  (latency mode; after every stream saw turn.ended)  → {type:'result', …}
 *                  {cmd:'close'}                                        → {type:'closed'}, then exit
 * Latency mode: for every text.delta after caught-up, receive wall-clock − Date.parse(ts).
 */
import { openSse, kindOf, tsOf, type SseStream } from './sse.js'
import { distribution } from './stats.js'

interface OpenCmd {
  cmd: 'open'
  url: string
  n: number
  concurrency: number
  token: string | null
  latency: boolean
}
type Cmd = OpenCmd | { cmd: 'result' } | { cmd: 'close' }

const streams: SseStream[] = []
const latencies: number[] = []
let ended = 0
let deliveries = 0
let endedWaiter: (() => void) | null = null
let closedEarly = 0

const send = (m: unknown) => process.send!(m)

async function openOne(c: OpenCmd): Promise<void> {
  let caught = false
  let resolveCaught!: () => void
  let rejectCaught!: (e: Error) => void
  const caughtUp = new Promise<void>((res, rej) => {
    resolveCaught = res
    rejectCaught = rej
  })
  const timer = setTimeout(() => rejectCaught(new Error('no caught-up within 60 s')), 60_000)
  const s = await openSse(c.url, {
    token: c.token,
    onFrame(f, t) {
      if (!caught) {
        if (f.event === 'caught-up') {
          caught = true
          clearTimeout(timer)
          resolveCaught()
        }
        return
      }
      if (!c.latency || f.event !== 'message') return
      const kind = kindOf(f.data)
      if (kind === 'text.delta') {
        deliveries++
        latencies.push(t - tsOf(f.data))
      } else if (kind === 'turn.ended') {
        ended++
        if (ended >= streams.length && endedWaiter) endedWaiter()
      }
    },
    onClose() {
      if (caught) closedEarly++
    },
  })
  streams.push(s)
  await caughtUp
}

async function open(c: OpenCmd): Promise<void> {
  const t0 = performance.now()
  let next = 0
  let ok = 0
  let failed = 0
  const errors = new Map<string, number>()
  const worker = async () => {
    while (next < c.n) {
      next++
      try {
        await openOne(c)
        ok++
      } catch (e) {
        failed++
        const k = (e as Error).message.slice(0, 80)
        errors.set(k, (errors.get(k) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(c.concurrency, c.n)) }, worker))
  send({
    type: 'opened',
    ok,
    failed,
    errors: Object.fromEntries(errors),
    ms: performance.now() - t0,
    total: streams.length,
  })
}

process.on('message', (m: Cmd) => {
  if (m.cmd === 'open') void open(m)
  else if (m.cmd === 'result') {
    const reply = () =>
      send({
        type: 'result',
        latency: distribution(latencies),
        deliveries,
        ended,
        streams: streams.length,
        closedEarly,
      })
    if (ended >= streams.length) reply()
    else endedWaiter = reply
  } else if (m.cmd === 'close') {
    for (const s of streams) s.close()
    send({ type: 'closed' })
    setTimeout(() => process.exit(0), 50)
  }
})
