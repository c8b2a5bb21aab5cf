/** Starts bench/baseline-sse-server (bundled, plain node) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process'
import { ensureBuilt, nodeCommand } from './build.js'
import { procStatusKb, ROOT } from './daemon.js'

export interface BaselineServer {
  child: ChildProcess
  pid: number
  url: string
  sessionId: string
  rssKb(): number
  stop(): Promise<void>
}

export async function startBaselineServer(
  opts: { db?: string; port?: number } = {}
): Promise<BaselineServer> {
  await ensureBuilt()
  const args: string[] = []
  if (opts.db) args.push('--db', opts.db)
  if (opts.port !== undefined) args.push('--port', String(opts.port))
  const c = nodeCommand('baseline-sse-server', args, { ulimit: true })
  const child = spawn(c.cmd, c.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const info = await new Promise<{ port: number; sessionId: string }>((res, rej) => {
    let out = ''
    const t = setTimeout(() => rej(new Error('baseline server did not start')), 15_000)
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(t)
        res(JSON.parse(out.slice(0, nl)) as { port: number; sessionId: string })
      }
    })
    void exited.then(() => rej(new Error('baseline server exited')))
  })
  const pid = child.pid!
  return {
    child,
    pid,
    url: `http://127.0.0.1:${info.port}`,
    sessionId: info.sessionId,
    rssKb: () => procStatusKb(pid, 'VmRSS'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
    },
  }
}
