import { realpathSync, statSync } from 'node:fs'
import { mkdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, sep } from 'node:path'
import { badRequest } from '../errors.js'

/** Is `path` one of `roots` or inside one? All paths already resolved by realpath. */
export function isInsideRoots(path: string, roots: string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep))
}

/**
 * The directory a session's claude runs in: a fresh one under the data dir by default, or an
 * existing directory that resolves (symlinks followed) inside an allowed root.
 */
export async function resolveSessionCwd(
  requested: string | undefined,
  opts: { sessionId: string; workspacesDir: string; allowedRoots: string[] }
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
  if (!(await stat(real)).isDirectory()) throw badRequest('invalid_cwd', `cwd ${JSON.stringify(requested)} is not a directory`)
  const roots = await Promise.all(opts.allowedRoots.map((r) => realpath(r).catch(() => null)))
  if (!isInsideRoots(real, roots.filter((r): r is string => r !== null))) {
    throw badRequest('cwd_not_allowed', `cwd ${JSON.stringify(requested)} is outside the allowed roots`)
  }
  return { cwd: real, isDefault: false }
}

export type TurnCwd = { ok: true; cwd: string } | { ok: false; message: string }

/**
 * Checked again at every turn start, because the directory may have been swapped for a symlink to
 * somewhere else since the session was created; claude is then spawned in the resolved path, so a
 * later swap of the top directory does not move it. Synchronous: it runs inside the turn start,
 * between the transaction that starts the turn and the spawn, and is a few stat calls.
 */
export function checkTurnCwd(cwd: string, roots: string[]): TurnCwd {
  let real: string
  try {
    real = realpathSync(cwd)
    if (!statSync(real).isDirectory()) return { ok: false, message: `the session directory ${cwd} is not a directory` }
  } catch {
    return { ok: false, message: `the session directory ${cwd} no longer exists` }
  }
  const realRoots = roots.flatMap((r) => {
    try {
      return [realpathSync(r)]
    } catch {
      return []
    }
  })
  if (!isInsideRoots(real, realRoots)) {
    return { ok: false, message: `the session directory ${cwd} now resolves to ${real}, outside the allowed roots; claude was not started` }
  }
  return { ok: true, cwd: real }
}
