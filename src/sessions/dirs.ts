import { readdir, realpath, stat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { AppError, badRequest } from '../errors.js'
import { isInsideRoots } from './cwd.js'

export interface DirListing {
  /** The listed directory (realpath), or null for the list of roots itself. */
  path: string | null
  /** Where "up" goes: the parent inside the roots, or null (then up is the list of roots). */
  parent: string | null
  dirs: { name: string; path: string }[]
  roots: string[]
  truncated: boolean
}

const MAX_ENTRIES = 500

/** The allowed roots that exist, resolved (symlinks followed) like a session's cwd is. */
async function resolvedRoots(allowedRoots: string[]): Promise<string[]> {
  const roots = await Promise.all(allowedRoots.map((r) => realpath(r).catch(() => null)))
  return [...new Set(roots.filter((r): r is string => r !== null))]
}

/**
 * The directory picker's one step: the subdirectories of `path`, which must resolve inside an
 * allowed root, so the listing shows nothing a session could not use as its cwd anyway.
 * Without a path: the roots. Hidden directories are skipped (a picker, not a file manager).
 */
export async function listDirs(
  path: string | undefined,
  allowedRoots: string[]
): Promise<DirListing> {
  const roots = await resolvedRoots(allowedRoots)
  if (path === undefined || path === '') {
    return {
      path: null,
      parent: null,
      dirs: roots.map((r) => ({ name: r, path: r })),
      roots,
      truncated: false,
    }
  }
  if (path.includes('\0') || !isAbsolute(path))
    throw badRequest('invalid_path', 'path must be an absolute path')
  let real: string
  try {
    real = await realpath(path)
  } catch {
    throw new AppError(404, 'path_not_found', `${JSON.stringify(path)} does not exist`)
  }
  if (!isInsideRoots(real, roots)) {
    throw new AppError(
      403,
      'path_not_allowed',
      `${JSON.stringify(path)} is outside the allowed roots (${roots.join(', ')})`
    )
  }
  if (!(await stat(real)).isDirectory())
    throw badRequest('not_a_directory', `${JSON.stringify(path)} is not a directory`)
  const entries = await readdir(real, { withFileTypes: true }).catch(() => {
    throw new AppError(
      403,
      'path_unreadable',
      `${JSON.stringify(path)} cannot be read by the daemon`
    )
  })
  const dirs: { name: string; path: string }[] = []
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    const full = join(real, e.name)
    // A symlink counts when it leads to a directory inside the roots.
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDirInside(full, roots))))
      dirs.push({ name: e.name, path: full })
  }
  dirs.sort((a, b) => a.name.localeCompare(b.name))
  const up = dirname(real)
  return {
    path: real,
    parent: roots.includes(real) || !isInsideRoots(up, roots) ? null : up,
    dirs: dirs.slice(0, MAX_ENTRIES),
    roots,
    truncated: dirs.length > MAX_ENTRIES,
  }
}

async function isDirInside(path: string, roots: string[]): Promise<boolean> {
  try {
    const real = await realpath(path)
    return isInsideRoots(real, roots) && (await stat(real)).isDirectory()
  } catch {
    return false
  }
}

/** claude refuses to skip permissions as root, so the page must not offer bypassPermissions then. */
export function runningAsRoot(): boolean {
  try {
    return userInfo().uid === 0
  } catch {
    return false
  }
}
