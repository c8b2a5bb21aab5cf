import { watch, type FSWatcher } from 'node:fs'
import type { Logger } from '../log.js'
import { createSpoolReader } from './spool.js'

/**
 * Tails a spool file while its writer lives: lines go to `onLines` (with the offset after them)
 * as they arrive, woken by file notifications with a poll as a fallback. When the writer exits,
 * the file is read to its end, a last line without a newline included. `stop` lets go early.
 */
export async function followSpool(opts: {
  path: string
  startOffset: number
  pollMs: number
  exited: Promise<unknown>
  stop: Promise<unknown>
  onLines: (lines: string[], endOffset: number) => void
  log: Logger
}): Promise<'exited' | 'stopped'> {
  const reader = createSpoolReader(opts.path, opts.startOffset)
  const drain = async (final: boolean) => {
    for (;;) {
      const chunk = await reader.read(final)
      if (chunk.lines.length > 0) opts.onLines(chunk.lines, chunk.endOffset)
      if (!chunk.more) break
    }
  }
  let draining: Promise<void> | null = null
  let again = false
  const pump = (): void => {
    if (draining) {
      again = true
      return
    }
    draining = (async () => {
      do {
        again = false
        await drain(false)
      } while (again)
    })()
      .catch((err: NodeJS.ErrnoException) => {
        // No file yet is normal right after a spawn; anything else is worth a line.
        if (err.code !== 'ENOENT') opts.log.error('spool read failed', { error: err.message })
      })
      .finally(() => {
        draining = null
      })
  }
  let watcher: FSWatcher | null = null
  try {
    watcher = watch(opts.path, pump)
  } catch {
    // no file notifications here (or no file yet): the poll still reads it
  }
  const poll = setInterval(pump, opts.pollMs)
  pump()
  const how = await Promise.race([
    opts.exited.then(() => 'exited' as const),
    opts.stop.then(() => 'stopped' as const),
  ])
  clearInterval(poll)
  watcher?.close()
  while (draining) await draining
  if (how === 'exited') {
    await drain(true).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
  await reader.close()
  return how
}
