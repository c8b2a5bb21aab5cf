import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { Answer, Envelope, Reply, Request } from './pg-worker.js'

export class PgError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined
  ) {
    super(message)
    this.name = 'PgError'
  }
}

export interface SyncPg {
  query(sql: string, params: unknown[], array?: boolean): { rows: unknown[]; rowCount: number }
  /** Sends a statement without waiting for it (a BEGIN): a failure fails the next query. */
  send(sql: string): void
  close(): void
}

/**
 * A PostgreSQL connection with a synchronous face. The storage modules are synchronous (the
 * commit-then-publish order that makes replay exact rests on it), so the connection lives in a
 * worker thread and each query blocks the daemon's thread until its answer: one round trip, which
 * is why the database should be near (same host or LAN). Atomics.wait is what synckit and
 * similar do; here it is a few dozen lines with nothing between the two threads but this protocol.
 */
export function connectSync(url: string, timeoutMs = 30_000): SyncPg {
  let link = open(url, 0)
  let lastId = 0
  let closed = false

  function call(body: Request | 'close'): Reply {
    if (closed) throw new PgError('the PostgreSQL connection is closed', undefined, undefined)
    const id = ++lastId
    Atomics.store(link.signal, 0, 0)
    const envelope: Envelope = { id, body }
    link.port.postMessage(envelope)
    const reply = awaitReply(link, id, Date.now() + timeoutMs)
    if (reply) return reply
    // Its answer may still come: start over on a new connection, with a flag and a port of its
    // own, so nothing the old worker does can wake or answer a later question. PostgreSQL rolls
    // back whatever the old connection had open.
    link.close()
    link = open(url, Atomics.load(link.signal, 1))
    throw new PgError(`PostgreSQL did not answer within ${timeoutMs} ms`, '57014', undefined)
  }

  return {
    send(sql) {
      if (closed) throw new PgError('the PostgreSQL connection is closed', undefined, undefined)
      const envelope: Envelope = {
        id: ++lastId,
        body: { sql, params: [], array: false, reply: false },
      }
      link.port.postMessage(envelope)
    },
    query(sql, params, array = false) {
      const r = call({ sql, params, array, reply: true })
      if (!r.ok) throw new PgError(r.message, r.code, r.detail)
      return { rows: r.rows.map(revive), rowCount: r.rowCount }
    },
    close() {
      if (closed) return
      call('close')
      closed = true
      link.close()
    },
  }
}

/**
 * Blocks until the answer to request `id` arrives, or null at the deadline. Answers carry the id
 * of their request, and any other is dropped: an answer can only ever reach its own question.
 */
function awaitReply(link: Link, id: number, deadline: number): Reply | null {
  for (;;) {
    for (let m = receiveMessageOnPort(link.port); m; m = receiveMessageOnPort(link.port)) {
      const answer = m.message as Answer
      if (answer.id === id) return answer.reply
    }
    const left = deadline - Date.now()
    if (left <= 0 || Atomics.wait(link.signal, 0, 0, left) === 'timed-out') return null
    // Cleared before looking, so an answer posted after the look sets it again.
    Atomics.store(link.signal, 0, 0)
  }
}

interface Link {
  port: MessagePort
  signal: Int32Array
  close(): void
}

/**
 * A worker thread holding one connection, the port to talk to it and the flag it raises; it
 * first ends the backend of the link it replaces, if any.
 */
function open(url: string, abandoned: number): Link {
  const flag = new SharedArrayBuffer(8)
  const { port1, port2 } = new MessageChannel()
  const worker = new Worker(workerFile(), {
    workerData: { url, port: port2, flag, abandoned },
    transferList: [port2],
  })
  worker.unref()
  return {
    port: port1,
    signal: new Int32Array(flag),
    close() {
      port1.close()
      void worker.terminate()
    },
  }
}

/** Structured cloning turns a bytea's Buffer into a plain Uint8Array: give callers Buffers back. */
function revive(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      (row as Record<string, unknown>)[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  }
  return row
}

/** The built worker beside this file, or its source when the daemon runs from src/ (tests). */
function workerFile(): URL {
  const built = new URL('./pg-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(built))) return built
  return new URL('./pg-worker.ts', import.meta.url)
}
