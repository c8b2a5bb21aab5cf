// The PostgreSQL connection behind the synchronous bridge (sync-client.ts), in a worker thread.
// Node loads this file itself (type stripping when the daemon runs from src/), so it imports
// only node: builtins and pg, with no TypeScript-only syntax.
import { workerData, type MessagePort } from 'node:worker_threads'
import pg from 'pg'

interface Init {
  url: string
  port: MessagePort
  flag: SharedArrayBuffer
}

export interface Request {
  sql: string
  params: unknown[]
  /** Rows as arrays of values (for pluck) rather than objects. */
  array: boolean
  /** false: the sender does not wait (a BEGIN); a failure is answered to its next request. */
  reply: boolean
}

export type Reply =
  | { ok: true; rows: unknown[]; rowCount: number }
  | { ok: false; message: string; code: string | undefined; detail: string | undefined }

// bigint counts and ids fit a double here (ids stay far below 2^53); numeric is a float, as in SQLite.
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v))

const { url, port, flag } = workerData as Init
const signal = new Int32Array(flag)
let client: pg.Client | null = null

async function connection(): Promise<pg.Client> {
  if (client) return client
  const c = new pg.Client({ connectionString: url, application_name: 'agentmux' })
  // A dropped connection is reopened by the next query; the one in flight fails with the error.
  c.on('error', () => {
    if (client === c) client = null
  })
  await c.connect()
  client = c
  return c
}

async function answer(req: Request): Promise<Reply> {
  try {
    const c = await connection()
    const answer = await c.query({
      text: req.sql,
      values: req.params,
      ...(req.array ? { rowMode: 'array' as const } : {}),
    })
    // A script of several statements (a migration) answers with one result each.
    const r = Array.isArray(answer) ? (answer.at(-1) as pg.QueryResult) : answer
    return { ok: true, rows: r.rows, rowCount: r.rowCount ?? 0 }
  } catch (err) {
    const e = err as { message?: string; code?: string; detail?: string }
    return { ok: false, message: e.message ?? String(err), code: e.code, detail: e.detail }
  }
}

// One request at a time, in the order sent: a request nobody waits for (a BEGIN) runs before the
// next one, and its failure becomes that one's answer instead of running it.
let queue: Promise<void> = Promise.resolve()
let failed: Reply | null = null

async function handle(req: Request | 'close'): Promise<void> {
  if (req === 'close') {
    const c = client
    client = null
    await c?.end().catch(() => {})
    reply({ ok: true, rows: [], rowCount: 0 })
    port.close()
    return
  }
  if (failed) {
    const r = failed
    failed = null
    if (req.reply) reply(r)
    else failed = r
    return
  }
  const r = await answer(req)
  if (req.reply) reply(r)
  else if (!r.ok) failed = r
}

port.on('message', (req: Request | 'close') => {
  queue = queue.then(() => handle(req))
})

function reply(r: Reply): void {
  port.postMessage(r)
  Atomics.store(signal, 0, 1)
  Atomics.notify(signal, 0)
}
