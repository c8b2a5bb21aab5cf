import { open, readFile, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'

export interface SpoolChunk {
  lines: string[]
  /** Byte offset just past the last line returned: where a later reader resumes. */
  endOffset: number
  /** The read filled its buffer: more bytes are probably waiting. */
  more: boolean
}

const EMPTY = Buffer.alloc(0)

/**
 * Reads complete lines from a file that another process is still appending to. Lines may be far
 * longer than one read (claude writes 200 KB lines); a partial line waits for its newline, except
 * on the final read after the writer has exited.
 */
export function createSpoolReader(path: string, startOffset: number, chunkSize = 256 * 1024) {
  let handle: FileHandle | null = null
  let position = startOffset
  let carry: Buffer = EMPTY
  const buffer = Buffer.allocUnsafe(chunkSize)

  return {
    async read(final: boolean): Promise<SpoolChunk> {
      handle ??= await open(path, 'r')
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, position)
      position += bytesRead
      const data =
        carry.length > 0
          ? Buffer.concat([carry, buffer.subarray(0, bytesRead)])
          : buffer.subarray(0, bytesRead)
      const lastNewline = data.lastIndexOf(10)
      let lines: string[] = []
      if (lastNewline >= 0) {
        lines = data.toString('utf8', 0, lastNewline).split('\n')
        carry = Buffer.from(data.subarray(lastNewline + 1))
      } else {
        carry = Buffer.from(data)
      }
      // A short read is the end of the file: on the final read the writer is gone, so a last
      // line without its newline is complete.
      if (final && bytesRead < chunkSize && carry.length > 0) {
        lines.push(carry.toString('utf8'))
        carry = EMPTY
      }
      return { lines, endOffset: position - carry.length, more: bytesRead === chunkSize }
    },
    async close(): Promise<void> {
      await handle?.close()
      handle = null
    },
  }
}

const STDERR_TAIL_BYTES = 4096

/**
 * The one place that names spool files. One set per spawn attempt, so a retry never resumes at a
 * stale offset: claude's stdout (`.out`, the spool proper), its stderr (`.err`) and its stdin, a
 * FIFO (`.in`) that outlives this daemon so the next one can still write to claude.
 */
export interface SpoolFiles {
  spoolPath: string
  stderrPath: string
  stdinPath: string
}

const SPOOL_ATTEMPTS = [0, 1]

export function spoolPaths(spoolDir: string, turnId: string, attempt: number): SpoolFiles {
  return siblingsOf(join(spoolDir, `${turnId}.${attempt}.out`))
}

/** The other files of the attempt whose stdout spool is `spoolPath` (as recorded for adoption). */
export function siblingsOf(spoolPath: string): SpoolFiles {
  const base = spoolPath.replace(/\.out$/, '')
  return { spoolPath: `${base}.out`, stderrPath: `${base}.err`, stdinPath: `${base}.in` }
}

/** The turn id a spool file belongs to. */
export function spoolTurnId(fileName: string): string {
  return fileName.split('.')[0]!
}

/** Every spool file of a turn (one set per attempt). */
export async function removeSpool(spoolDir: string, turnId: string): Promise<void> {
  await Promise.all(
    SPOOL_ATTEMPTS.flatMap((a) =>
      Object.values(spoolPaths(spoolDir, turnId, a)).map((p) => rm(p, { force: true }))
    )
  )
}

/** The end of claude's stderr, for the error event. */
export async function readTail(path: string): Promise<string> {
  try {
    const buf = await readFile(path)
    return buf.subarray(Math.max(0, buf.length - STDERR_TAIL_BYTES)).toString('utf8')
  } catch {
    return ''
  }
}
