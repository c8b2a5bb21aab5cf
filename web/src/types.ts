/** The daemon's public shapes (README.md), shared with the daemon's own definitions. */

export type { FeedMessage, PermissionMode, Session, Turn } from '../../src/sessions/types.js'
export type { TurnStatus } from '../../src/events/types.js'
import type { PermissionMode } from '../../src/sessions/types.js'

/** In the order the new-session form offers them. */
export const PERMISSION_MODES: PermissionMode[] = ['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'manual', 'bypassPermissions']

/** One log event: `{id, sessionId, turnId, kind, ts, …fields}`. Fields are read defensively. */
export type { WireEvent as LogEvent } from '../../src/events/types.js'
