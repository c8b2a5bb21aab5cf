/** The daemon's public shapes (README.md): the page uses the daemon's own type definitions. */

export type { FeedMessage, PermissionMode, Session, Turn } from '../../src/sessions/types.js'
export type { TurnStatus } from '../../src/events/types.js'
import type { StoredEvent } from '../../src/events/types.js'

/** One log event as served: `{id, sessionId, turnId, kind, ts, …fields}`, typed by its kind. */
export type LogEvent = StoredEvent
/** The event of one kind. */
export type Ev<K extends LogEvent['kind']> = Extract<LogEvent, { kind: K }>
