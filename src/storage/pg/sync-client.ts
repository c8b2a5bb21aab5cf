import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { Reply, Request } from './pg-worker.js'

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
 * similar do; here it is twenty lines with nothing between the two threads but this protocol.
 */
export function connectSync(url: string, timeoutMs = 30_000): SyncPg {
  const flag = new SharedArrayBuffer(4)
  const signal = new Int32Array(flag)
  let link = open(url, flag)
  let closed = false

  function call(req: Request | 'close'): Reply {
    if (closed) throw new PgError('the PostgreSQL connection is closed', undefined, undefined)
    Atomics.store(signal, 0, 0)
    link.port.postMessage(req)
    if (Atomics.wait(signal, 0, 0, timeoutMs) === 'timed-out') {
      // Its answer would come to the next question: start over on a new connection instead
      // (PostgreSQL rolls back whatever the old one had open).
      link.close()
      link = open(url, flag)
      throw new PgError(`PostgreSQL did not answer within ${timeoutMs} ms`, '57014', undefined)
    }
    const msg = receiveMessageOnPort(link.port)
    if (!msg) throw new PgError('the PostgreSQL worker exited', undefined, undefined)
    return msg.message as Reply
  }

  return {
    send(sql) {
      if (closed) throw new PgError('the PostgreSQL connection is closed', undefined, undefined)
      link.port.postMessage({ sql, params: [], array: false, reply: false })
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

/** A worker thread holding one connection, and the port to talk to it. */
function open(url: string, flag: SharedArrayBuffer): { port: MessagePort; close(): void } {
  const { port1, port2 } = new MessageChannel()
  const worker = new Worker(workerFile(), {
    workerData: { url, port: port2, flag },
    transferList: [port2],
  })
  worker.unref()
  return {
    port: port1,
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
