/**
 * claude's stdin is a FIFO in the spool dir (issue 9.8). claude inherits a read-write descriptor
 * on it, so it always holds a writer itself: the daemon's death is never an EOF, a pending
 * approval survives a kill -9 of the daemon, and the next daemon re-opens the FIFO to answer,
 * interrupt or change the permission mode of a turn it adopted.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, constants, openSync, renameSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface StdinWriter {
  /** False once the writer is closed or broken (claude is gone). */
  write(line: string): boolean
  /** Flushes what is queued, then lets go. claude keeps its own descriptor. */
  close(): void
}

export type StdinFifos = ReturnType<typeof createStdinFifos>

/**
 * Makes the FIFOs. Node has no mkfifo, and running mkfifo(1) costs a fork + exec (measured: turn
 * start 39 ms instead of ~9 under load), so one spare FIFO (mode 0600) is made ahead in the spool
 * dir and renamed into place at the next spawn. A leftover spare is swept at start like any spool
 * file of no running turn.
 */
export function createStdinFifos(spoolDir: string) {
  let spare: Promise<string> | null = null
  const make = async (path: string) => {
    await run('mkfifo', ['-m', '600', path])
    return path
  }
  const refill = () => {
    const next = make(join(spoolDir, `spare.${randomBytes(8).toString('hex')}.in`))
    next.catch(() => {})
    spare = next
  }
  return {
    /**
     * The FIFO at `path`, and the descriptor claude inherits as stdin: opened O_RDWR, which never
     * blocks on a FIFO. The caller closes it once claude has it.
     */
    async create(path: string): Promise<number> {
      const ready = spare
      spare = null
      let placed = false
      if (ready) {
        try {
          renameSync(await ready, path)
          placed = true
        } catch {
          // the spare failed or vanished: make one now
        }
      }
      if (!placed) await make(path)
      refill()
      return openSync(path, constants.O_RDWR)
    },

    /** Removes the spare (shutdown). */
    async close(): Promise<void> {
      const ready = spare
      spare = null
      if (ready) rmSync(await ready.catch(() => ''), { force: true })
    },
  }
}

/**
 * A non-blocking writer on the FIFO: a 200 KB prompt never blocks the event loop, libuv waits for
 * claude to read it. null when no process holds the FIFO (ENXIO: claude is gone) or it is missing.
 */
export function openStdinWriter(path: string, onError: (err: Error) => void): StdinWriter | null {
  let fd: number
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
  } catch {
    return null
  }
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: false, writable: true })
  } catch (err) {
    closeSync(fd)
    onError(err as Error)
    return null
  }
  // A turn left to the next daemon must not hold this one's event loop open.
  socket.unref()
  socket.on('error', onError)
  let open = true
  return {
    write(line) {
      if (!open || socket.destroyed) return false
      socket.write(line)
      return true
    },
    close() {
      if (!open) return
      open = false
      socket.end()
    },
  }
}
