/** Parent side of bench/lib/client-proc: a separate process holding many SSE streams. */
import { spawn, type ChildProcess } from 'node:child_process'
import { ensureBuilt, nodeCommand } from './build.js'
import { ROOT, TOKEN } from './daemon.js'
import type { Distribution } from './stats.js'

export interface OpenedReply {
  ok: number
  failed: number
  errors: Record<string, number>
  ms: number
  total: number
}

export interface ResultReply {
  latency: Distribution
  deliveries: number
  ended: number
  streams: number
  closedEarly: number
}

export interface ClientProcess {
  child: ChildProcess
  open(o: {
    url: string
    n: number
    concurrency?: number
    token?: string | null
    latency?: boolean
  }): Promise<OpenedReply>
  /** Latency mode: resolves once every stream saw turn.ended. */
  result(timeoutMs: number): Promise<ResultReply>
  close(): Promise<void>
}

export async function startClientProcess(): Promise<ClientProcess> {
  await ensureBuilt()
  const c = nodeCommand('client-proc', [], {
    ulimit: true,
    nodeArgs: ['--max-old-space-size=4096'],
  })
  const child = spawn(c.cmd, c.args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const next = <T>(type: string, timeoutMs: number) =>
    new Promise<T>((res, rej) => {
      const t = setTimeout(() => {
        child.off('message', on)
        rej(new Error(`client process: no ${type} within ${timeoutMs} ms`))
      }, timeoutMs)
      const on = (m: { type: string }) => {
        if (m.type !== type) return
        clearTimeout(t)
        child.off('message', on)
        res(m as T)
      }
      child.on('message', on)
    })
  return {
    child,
    async open(o) {
      const p = next<OpenedReply>('opened', 300_000)
      child.send({
        cmd: 'open',
        url: o.url,
        n: o.n,
        concurrency: o.concurrency ?? 50,
        token: o.token === undefined ? TOKEN : o.token,
        latency: o.latency ?? false,
      })
      return p
    },
    async result(timeoutMs) {
      const p = next<ResultReply>('result', timeoutMs)
      child.send({ cmd: 'result' })
      return p
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const p = next<unknown>('closed', 10_000).catch(() => undefined)
      child.send({ cmd: 'close' })
      await p
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    },
  }
}
