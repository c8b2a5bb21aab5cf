/**
 * Baseline: a raw node:http server that does the daemon's physical work for SSE with nothing in
 * between (no router, no auth, no hub): it reads rows from the same SQLite `events` table in pages
 * and writes `id:`/`data:` frames with res.write, honouring backpressure.
 *
 *   node baseline-sse-server.mjs [--db <path>] [--port 0]
 *
 * Without --db it makes a fresh database with the real schema and one session. Prints one JSON
 * line {"port":N,"sessionId":"…"} when listening.
 *
 *   GET  /healthz                              {"ok":true}
 *   GET  /sessions/:id/events?after=N          replay from SQLite, `event: caught-up`, then live
 *   POST /publish?session=S&rate=R&count=C     C events at R/s: each is inserted (one txn) and its
 *                                              frame written to every caught-up stream; the last one
 *                                              is a `turn.ended`
 */
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib/daemon.js'

const PAGE = 256
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

let dbPath = arg('db')
const sessionId = 'ses_baseline00000000000'
const fresh = !dbPath
if (!dbPath) dbPath = join(mkdtempSync(join(tmpdir(), 'agentmux-bench-base-')), 'base.db')
const db = new Database(dbPath, { timeout: 5000 })
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('foreign_keys = ON')
db.pragma('cache_size = -16000')
if (fresh) {
  db.exec(readFileSync(join(ROOT, 'migrations/0001_init.sql'), 'utf8'))
  const now = new Date().toISOString()
  db.prepare(
    `INSERT INTO sessions (id, title, cwd, claude_session_id, created_at, updated_at) VALUES (?, 'b', '/tmp', 'x', ?, ?)`
  ).run(sessionId, now, now)
  const ins = db.prepare(
    'INSERT INTO events (session_id, turn_id, kind, body) VALUES (?, NULL, ?, ?)'
  )
  for (let i = 0; i < 5; i++)
    ins.run(
      sessionId,
      'agent.notice',
      `{"sessionId":"${sessionId}","turnId":null,"kind":"agent.notice","ts":"${now}","subtype":"x","message":"seed ${i}"}`
    )
}
const readPage = db.prepare(
  'SELECT id, body FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?'
)
const insert = db.prepare(
  'INSERT INTO events (session_id, turn_id, kind, body) VALUES (?, ?, ?, ?)'
)
const insertOne = db.transaction((sid: string, kind: string, body: string) =>
  Number(insert.run(sid, 'trn_baseline', kind, body).lastInsertRowid)
)

/** Caught-up streams per session. */
const live = new Map<string, Set<ServerResponse>>()

function replay(res: ServerResponse, sid: string, after: number): void {
  let cursor = after
  const pump = (): void => {
    for (;;) {
      const rows = readPage.all(sid, cursor, PAGE) as { id: number; body: string }[]
      if (rows.length === 0) {
        res.write(`event: caught-up\ndata: {"lastEventId":${cursor}}\n\n`)
        let set = live.get(sid)
        if (!set) live.set(sid, (set = new Set()))
        set.add(res)
        res.once('close', () => set!.delete(res))
        return
      }
      let out = ''
      for (const r of rows) out += `id: ${r.id}\ndata: {"id":${r.id},${r.body.slice(1)}\n\n`
      cursor = rows[rows.length - 1]!.id
      if (!res.write(out)) {
        res.once('drain', pump)
        return
      }
    }
  }
  pump()
}

function publish(sid: string, rate: number, count: number): void {
  const t0 = performance.now()
  let i = 0
  const tick = (): void => {
    const last = i === count - 1
    const kind = last ? 'turn.ended' : 'text.delta'
    const ts = new Date().toISOString()
    const body = last
      ? `{"sessionId":"${sid}","turnId":"trn_baseline","kind":"turn.ended","ts":"${ts}","status":"completed","durationMs":0,"exitCode":0,"signal":null}`
      : `{"sessionId":"${sid}","turnId":"trn_baseline","kind":"text.delta","ts":"${ts}","text":"w${i} ","index":0}`
    const id = insertOne(sid, kind, body)
    const frame = `id: ${id}\ndata: {"id":${id},${body.slice(1)}\n\n`
    for (const res of live.get(sid) ?? []) res.write(frame)
    i++
    if (i < count) setTimeout(tick, Math.max(0, t0 + (i * 1000) / rate - performance.now()))
  }
  tick()
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end('{"ok":true}')
    return
  }
  const m = /^\/sessions\/([^/]+)\/events$/.exec(url.pathname)
  if (req.method === 'GET' && m) {
    const header = req.headers['last-event-id']
    const after = Number(typeof header === 'string' ? header : (url.searchParams.get('after') ?? 0))
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
    })
    res.write('retry: 1000\n\n')
    replay(res, m[1]!, after)
    return
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    const sid = url.searchParams.get('session') ?? sessionId
    publish(
      sid,
      Number(url.searchParams.get('rate') ?? 100),
      Number(url.searchParams.get('count') ?? 100)
    )
    res.writeHead(202, { 'Content-Type': 'application/json' })
    res.end('{}')
    return
  }
  res.writeHead(404)
  res.end()
})
server.listen(Number(arg('port') ?? 0), '127.0.0.1', () => {
  const port = (server.address() as { port: number }).port
  process.stdout.write(`${JSON.stringify({ port, sessionId })}\n`)
})
const stop = () => {
  server.close()
  for (const set of live.values()) for (const r of set) r.destroy()
  db.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
