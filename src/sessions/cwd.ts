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
  const existing = roots.filter((r): r is string => r !== null)
  if (!isInsideRoots(real, existing)) {
    throw badRequest('cwd_not_allowed', `cwd ${JSON.stringify(requested)} is outside the allowed roots (${existing.join(', ')})`)
  }
  return { cwd: real, isDefault: false }
}
