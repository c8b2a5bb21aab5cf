// The PostgreSQL connection behind the synchronous bridge (sync-client.ts), in a worker thread.
// Node loads this file itself (type stripping when the daemon runs from src/), so it imports
// only node: builtins and pg, with no TypeScript-only syntax.
import { workerData, type MessagePort } from 'node:worker_threads'
import pg from 'pg'

interface Init {
  url: string
  port: MessagePort
  /** Two int32: [0] is raised when an answer is posted, [1] holds the backend's pid. */
  flag: SharedArrayBuffer
  /** The backend of a connection given up on (its query ran past the timeout), or 0. */
  abandoned: number
}

export interface Request {
  sql: string
  params: unknown[]
  /** Rows as arrays of values (for pluck) rather than objects. */
  array: boolean
  /** false: the sender does not wait (a BEGIN); a failure is answered to its next request. */
  reply: boolean
}

/** What the other thread posts: a request and its id, which its answer carries back. */
export interface Envelope {
  id: number
  body: Request | 'close'
}

export interface Answer {
  id: number
  reply: Reply
}

export type Reply =
  | { ok: true; rows: unknown[]; rowCount: number }
  | { ok: false; message: string; code: string | undefined; detail: string | undefined }

// bigint counts and ids fit a double here (ids stay far below 2^53); numeric is a float, as in SQLite.
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v))

const { url, port, flag, abandoned } = workerData as Init
const signal = new Int32Array(flag)
let client: pg.Client | null = null
let pendingAbandoned = abandoned

async function connection(): Promise<pg.Client> {
  if (client) return client
  const c = new pg.Client({ connectionString: url, application_name: 'agentmux' })
  // A dropped connection is reopened by the next query; the one in flight fails with the error.
  c.on('error', () => {
    if (client === c) client = null
  })
  await c.connect()
  // pg sets processID from the server's BackendKeyData; @types/pg does not declare it.
  Atomics.store(signal, 1, (c as unknown as { processID: number | null }).processID ?? 0)
  if (pendingAbandoned) {
    // Its query may still hold locks (the event counter row) that every writer waits on; ending
    // the backend rolls its transaction back now rather than when that query ends.
    await c.query('SELECT pg_terminate_backend($1)', [pendingAbandoned]).catch(() => {})
    pendingAbandoned = 0
  }
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
// Connected at once rather than at the first request: that also ends an abandoned backend now,
// before some other connection waits on its locks. A failure here is met again, and answered, by
// the first request.
let queue: Promise<void> = connection().then(
  () => {},
  () => {}
)
let failed: Reply | null = null

async function handle({ id, body: req }: Envelope): Promise<void> {
  if (req === 'close') {
    const c = client
    client = null
    await c?.end().catch(() => {})
    reply(id, { ok: true, rows: [], rowCount: 0 })
    port.close()
    return
  }
  if (failed) {
    const r = failed
    failed = null
    if (req.reply) reply(id, r)
    else failed = r
    return
  }
  const r = await answer(req)
  if (req.reply) reply(id, r)
  else if (!r.ok) failed = r
}

port.on('message', (envelope: Envelope) => {
  // A rejected link would stop the chain, and every later request would wait out its timeout.
  queue = queue
    .then(() => handle(envelope))
    .catch((err) => {
      if (envelope.body !== 'close' && envelope.body.reply)
        reply(envelope.id, { ok: false, message: String(err), code: undefined, detail: undefined })
    })
})

function reply(id: number, r: Reply): void {
  const answer: Answer = { id, reply: r }
  port.postMessage(answer)
  Atomics.store(signal, 0, 1)
  Atomics.notify(signal, 0)
}
