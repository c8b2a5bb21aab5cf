/** The daemon's GET /config, fetched once per page load (it changes only when the daemon restarts). */
import { api } from './api.js'
import type { DaemonConfig } from './modes.js'

let cached: Promise<DaemonConfig> | null = null

export function daemonConfig(): Promise<DaemonConfig> {
  cached ??= api.get<DaemonConfig>('/config', { timeoutMs: 10_000 }).catch(() => {
    cached = null
    // Unknown: offer every mode; the daemon still refuses what cannot work.
    return { allowedRoots: [], runningAsRoot: false, bypassPermissionsAvailable: true }
  })
  return cached
}
