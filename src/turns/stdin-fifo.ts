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

/** Spare FIFOs made by one mkfifo(1) run. */
const POOL = 8

/**
 * Makes the FIFOs. Node has no mkfifo, and running mkfifo(1) forks the daemon (measured: turn start
 * 39 ms instead of ~9 under load; 16.9 ms against 5.8 ms on a quiet machine with one spare made
 * just before each spawn). So spares (mode 0600) are made ahead, eight per mkfifo run, in the spool
 * dir, and one is renamed into place at each spawn. Refills start after the spawn, and only once
 * half the pool is gone. Leftover spares are swept at start like any spool file of no running turn.
 */
export function createStdinFifos(spoolDir: string) {
  const spares: string[] = []
  let refilling: Promise<void> | null = null
  const make = (paths: string[]) => run('mkfifo', ['-m', '600', ...paths])

  function refill(): Promise<void> {
    refilling ??= (async () => {
      const batch = Array.from({ length: POOL - spares.length }, () =>
        join(spoolDir, `spare.${randomBytes(8).toString('hex')}.in`)
      )
      try {
        await make(batch)
        spares.push(...batch)
      } catch {
        // (a full disk, a removed dir): each spawn makes its own until a refill works
      } finally {
        refilling = null
      }
    })()
    return refilling
  }

  return {
    /** Makes the spares now (after the start-up sweep, so the first turn has one). */
    refill,

    /**
     * The FIFO at `path`, and the descriptor claude inherits as stdin: opened O_RDWR, which never
     * blocks on a FIFO. The caller closes it once claude has it.
     */
    async create(path: string): Promise<number> {
      const spare = spares.shift()
      let placed = false
      if (spare) {
        try {
          renameSync(spare, path)
          placed = true
        } catch {
          // the spare vanished: make one now
        }
      }
      if (!placed) await make([path])
      // After the caller's spawn (it runs before this callback): the fork would delay claude's.
      if (spares.length < POOL / 2) setImmediate(() => void refill())
      return openSync(path, constants.O_RDWR)
    },

    /** Removes the spares (shutdown). */
    async close(): Promise<void> {
      await refilling
      for (const path of spares.splice(0)) rmSync(path, { force: true })
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
