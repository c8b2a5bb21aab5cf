import type { NewEvent } from '../events/types.js'

/** What every event of one committed batch shares, serialised once. */
export interface Batch {
  sessionId: string
  turnId: string | null
  ts: string
  head: string
  tsMember: string
}

export function batchOf(sessionId: string, turnId: string | null, ts: string): Batch {
  return {
    sessionId,
    turnId,
    ts,
    head: `{"sessionId":${JSON.stringify(sessionId)},"turnId":${JSON.stringify(turnId)},`,
    tsMember: `,"ts":"${ts}"`,
  }
}

/**
 * `{"sessionId","turnId","kind","ts",…fields}` without copying the event into a new object: the
 * ingest writes tens of thousands of these a second. Events are built with `kind` first; one that
 * is not takes the plain way.
 */
export function eventBody(b: Batch, event: NewEvent): string {
  const json = JSON.stringify(event)
  const kindEnd = 10 + event.kind.length
  if (
    json.startsWith(`{"kind":"${event.kind}"`) &&
    (json[kindEnd] === ',' || json[kindEnd] === '}')
  ) {
    return b.head + json.slice(1, kindEnd) + b.tsMember + json.slice(kindEnd)
  }
  const { kind, ...fields } = event
  return JSON.stringify({ sessionId: b.sessionId, turnId: b.turnId, kind, ts: b.ts, ...fields })
}
