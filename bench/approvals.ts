/**
 * Approvals (issue 9) with the real claude binary against the mock Messages API:
 *   1. claude's `can_use_tool` line in the spool → `permission.requested` on an attached SSE client;
 *   2. the POST answer sent → claude's next spool line (it got the answer and went on).
 *
 * The spool (`<data>/spool/<turn>.0.out`) is watched by this process with inotify, as the daemon
 * watches it: a line's time is when this process saw it appear. Both sides wake on the same
 * notifications, so (1) is the daemon's ingest + commit + fan-out, and (2) is the daemon's answer
 * path + the FIFO + claude's own reaction (it runs the tool, `touch`, then prints its result).
 */
import { watch, openSync, readSync, closeSync, fstatSync } from 'node:fs'
import { join } from 'node:path'
import { startMockAnthropic } from '../tests/mock-anthropic/server.js'
import { api, createSession, ROOT, sleep, startDaemon, startTurn, waitIdle } from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { kindOf, openSse } from './lib/sse.js'
import { distribution, wallNow } from './lib/stats.js'

const REAL_CLAUDE = join(ROOT, 'node_modules/.bin/claude')

/** Watches the spool dir; records when each new chunk of one file was first seen. */
function spoolWatcher(dir: string) {
  let file: string | null = null
  let fd: number | null = null
  let pos = 0
  const chunks: { t: number; text: string }[] = []
  const check = () => {
    if (!file) return
    try {
      fd ??= openSync(file, 'r')
    } catch {
      return
    }
    const size = fstatSync(fd).size
    if (size <= pos) return
    const buf = Buffer.alloc(size - pos)
    readSync(fd, buf, 0, buf.length, pos)
    pos = size
    chunks.push({ t: wallNow(), text: buf.toString('utf8') })
  }
  const w = watch(dir, check)
  return {
    follow(path: string) {
      if (fd !== null) closeSync(fd)
      file = path
      fd = null
      pos = 0
      chunks.length = 0
      check()
    },
    /** First time a chunk matching `pred` was seen (after `since`). */
    async waitFor(pred: (text: string) => boolean, since = 0, timeoutMs = 60_000): Promise<number> {
      const end = Date.now() + timeoutMs
      for (;;) {
        check()
        const c = chunks.find((x) => x.t >= since && pred(x.text))
        if (c) return c.t
        if (Date.now() > end) throw new Error('approvals bench: spool line not seen')
        await sleep(5)
      }
    },
    close() {
      w.close()
      if (fd !== null) closeSync(fd)
    },
  }
}

/** What is asked: a Bash approval (claude then runs a shell), or a question (no tool process). */
const CASES = {
  bash: {
    prompt: (i: number) => `go [tool:bash touch bench-${i}.txt]`,
    answer: { decision: 'allow' },
  },
  question: {
    prompt: (i: number) => `pick [tool:ask Which ${i}?|red|blue]`,
    answer: (i: number) => ({ decision: 'allow', answers: { [`Which ${i}?`]: 'blue' } }),
  },
}

async function measure(which: keyof typeof CASES, runs: number, warmup: number) {
  const mock = await startMockAnthropic()
  const d = await startDaemon({
    claudeBin: REAL_CLAUDE,
    env: {
      ANTHROPIC_BASE_URL: mock.url,
      ANTHROPIC_API_KEY: 'sk-bench',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
  })
  const spool = spoolWatcher(join(d.dataDir, 'spool'))
  const toEvent: number[] = []
  const toContinue: number[] = []
  try {
    const sid = await createSession(d.url, 'approvals')
    let requestedAt = 0
    let requestId = ''
    const sse = await openSse(`${d.url}/sessions/${sid}/events`, {
      onFrame: (f, t) => {
        if (f.event === 'message' && kindOf(f.data) === 'permission.requested') {
          requestedAt = t
          requestId = (JSON.parse(f.data) as { requestId: string }).requestId
        }
      },
    })
    for (let i = 0; i < warmup + runs; i++) {
      requestedAt = 0
      const c = CASES[which]
      const turnId = await startTurn(d.url, sid, c.prompt(i))
      spool.follow(join(d.dataDir, 'spool', `${turnId}.0.out`))
      const lineAt = await spool.waitFor((t) => t.includes('"can_use_tool"'))
      const end = Date.now() + 30_000
      while (requestedAt === 0 && Date.now() < end) await sleep(2)
      if (requestedAt === 0) throw new Error('approvals bench: no permission.requested event')
      let sent = 0
      const r = await api(
        d.url,
        'POST',
        `/sessions/${sid}/permissions/${requestId}`,
        typeof c.answer === 'function' ? c.answer(i) : c.answer,
        () => (sent = wallNow())
      )
      if (r.status !== 200) throw new Error(`approvals bench: answer got ${r.status}`)
      const nextAt = await spool.waitFor(() => true, sent)
      if (i >= warmup) {
        toEvent.push(requestedAt - lineAt)
        toContinue.push(nextAt - sent)
      }
      await waitIdle(d.url, sid)
    }
    sse.close()
  } finally {
    spool.close()
    await d.stop()
    await mock.close()
  }
  return { toEvent, toContinue }
}

export async function runApprovals(ctx: BenchContext): Promise<Metric[]> {
  const runs = ctx.quick ? 10 : 12
  const bash = await measure('bash', runs, 2)
  const question = await measure('question', runs, 2)
  const toEvent = [...bash.toEvent, ...question.toEvent]
  const a = distribution(toEvent)
  const b = distribution(question.toContinue)
  const c = distribution(bash.toContinue)
  ctx.log(
    `approvals: request → event p50 ${a.p50.toFixed(2)} ms; answer → next line p50 ${b.p50.toFixed(2)} ms (question), ${c.p50.toFixed(2)} ms (Bash)`
  )
  ctx.extra.approvals = { runs, bash, question }
  return [
    metric({
      bench: 'approvals',
      metric: `claude's can_use_tool line → permission.requested on an attached client (median of ${toEvent.length})`,
      unit: 'ms',
      samples: toEvent,
      note: `p90 ${a.p90.toFixed(2)} ms, max ${a.max.toFixed(2)} ms; real claude 2.1.330`,
    }),
    metric({
      bench: 'approvals',
      metric: `POST answer to a question sent → claude's next spool line (median of ${runs})`,
      unit: 'ms',
      samples: question.toContinue,
      note: `p90 ${b.p90.toFixed(2)} ms, max ${b.max.toFixed(2)} ms; no tool process in between`,
    }),
    metric({
      bench: 'approvals',
      metric: `POST allow of a Bash call sent → claude's next spool line (median of ${runs})`,
      unit: 'ms',
      samples: bash.toContinue,
      note: `p90 ${c.p90.toFixed(2)} ms, max ${c.max.toFixed(2)} ms; includes claude running the tool (a shell, touch)`,
    }),
  ]
}
