import { realpathSync, statSync } from 'node:fs'
import { mkdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, sep } from 'node:path'
import { badRequest } from '../errors.js'

/** Is `path` one of `roots` or inside one? All paths already resolved by realpath. */
export function isInsideRoots(path: string, roots: string[]): boolean {
  return roots.some(
    (root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
  )
}

const realOrNull = (p: string) => realpath(p).catch(() => null)
const present = (ps: (string | null)[]) => ps.filter((p): p is string => p !== null)

/**
 * The directory a session's claude runs in: a fresh one under the workspaces dir by default, or an
 * existing directory that resolves (symlinks followed) inside an allowed root.
 */
export async function resolveSessionCwd(
  requested: string | undefined,
  opts: { sessionId: string; workspacesDir: string; allowedRoots: string[]; dataDir: string }
): Promise<{ cwd: string; isDefault: boolean }> {
  if (requested === undefined) {
    const dir = join(opts.workspacesDir, opts.sessionId)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    return { cwd: await realpath(dir), isDefault: true }
  }
  if (requested.includes('\0')) throw badRequest('invalid_cwd', 'cwd must not contain NUL bytes')
  if (!isAbsolute(requested)) throw badRequest('invalid_cwd', 'cwd must be an absolute path')
  let real: string
  try {
    real = await realpath(requested)
  } catch {
    throw badRequest('invalid_cwd', `cwd ${JSON.stringify(requested)} does not exist`)
  }
  if (!(await stat(real)).isDirectory())
    throw badRequest('invalid_cwd', `cwd ${JSON.stringify(requested)} is not a directory`)
  const roots = present(await Promise.all(opts.allowedRoots.map(realOrNull)))
  if (!isInsideRoots(real, roots)) {
    throw badRequest(
      'cwd_not_allowed',
      `cwd ${JSON.stringify(requested)} is outside the allowed roots (${roots.join(', ')})`
    )
  }
  const dataDir = (await realOrNull(opts.dataDir)) ?? opts.dataDir
  if (reachesDataDir(real, dataDir, roots)) {
    throw badRequest(
      'cwd_not_allowed',
      `cwd ${JSON.stringify(requested)} would give claude's tools the daemon's data dir (its token)`
    )
  }
  return { cwd: real, isDefault: false }
}

/**
 * The data dir holds the token, so claude never runs in it or above it, where it is a relative path
 * away. Inside it only when the owner listed a root at or below the data dir on purpose.
 */
function reachesDataDir(cwd: string, dataDir: string, roots: string[]): boolean {
  if (isInsideRoots(dataDir, [cwd])) return true
  if (!isInsideRoots(cwd, [dataDir])) return false
  return !roots.some((root) => isInsideRoots(root, [dataDir]) && isInsideRoots(cwd, [root]))
}

/** realOrNull for the synchronous turn-start check. */
function realSyncOrNull(p: string): string | null {
  try {
    return realpathSync(p)
  } catch {
    return null
  }
}

export type TurnCwd = { ok: true; cwd: string } | { ok: false; message: string }

/**
 * Checked again at every turn start, because the directory may have been swapped for a symlink to
 * somewhere else since the session was created; claude is then spawned in the resolved path, so a
 * later swap of the top directory does not move it. Synchronous: it runs inside the turn start,
 * between the transaction that starts the turn and the spawn, and is a few stat calls.
 */
export function checkTurnCwd(cwd: string, roots: string[], dataDir: string): TurnCwd {
  let real: string
  try {
    real = realpathSync(cwd)
    if (!statSync(real).isDirectory())
      return { ok: false, message: `the session directory ${cwd} is not a directory` }
  } catch {
    return { ok: false, message: `the session directory ${cwd} no longer exists` }
  }
  const realRoots = present(roots.map(realSyncOrNull))
  if (!isInsideRoots(real, realRoots)) {
    return {
      ok: false,
      message: `the session directory ${cwd} now resolves to ${real}, outside the allowed roots; claude was not started`,
    }
  }
  if (reachesDataDir(real, realSyncOrNull(dataDir) ?? dataDir, realRoots)) {
    return {
      ok: false,
      message: `the session directory ${cwd} now resolves to ${real}, which reaches the daemon's data dir; claude was not started`,
    }
  }
  return { ok: true, cwd: real }
}
