/**
 * What a client ends up showing for a log, built the way web/src/render.ts builds it: a delta
 * appends to the open bubble of its (turn, thread, index), a final text replaces the oldest open
 * bubble of its thread (or is appended), any other event is appended as itself. Comparing this
 * for two event sequences tells whether a client would end up with the same conversation.
 */
export interface FinalStateEvent {
  id: number
  kind: string
  turnId: string | null
  parentToolUseId?: unknown
  index?: unknown
  text?: unknown
}

export function finalState(events: readonly FinalStateEvent[]): string[] {
  type Item = { s: string; open?: { key: string; thread: string } }
  const items: Item[] = []
  for (const e of events) {
    const thread = `${e.turnId}|${typeof e.parentToolUseId === 'string' ? e.parentToolUseId : ''}`
    if (e.kind === 'text.delta') {
      const key = `${thread}|${String(e.index)}`
      const b = items.find((i) => i.open?.key === key)
      if (b) b.s += String(e.text)
      else items.push({ s: `~${String(e.text)}`, open: { key, thread } })
    } else if (e.kind === 'text') {
      const b = items.find((i) => i.open?.thread === thread)
      if (b) {
        b.s = `T:${String(e.text)}`
        delete b.open
      } else items.push({ s: `T:${String(e.text)}` })
    } else items.push({ s: `${e.kind}:${e.id}` })
  }
  return items.map((i) => i.s)
}

/**
 * A catch-up client applied `applied` (ids, in order) of `log`: each once, in order, and what it
 * shows is what the whole log shows (the only events it may lack are superseded deltas).
 */
export function isCatchupOf(applied: readonly number[], log: readonly FinalStateEvent[]): boolean {
  const byId = new Map(log.map((e) => [e.id, e]))
  for (let i = 0; i < applied.length; i++) {
    if (!byId.has(applied[i]!) || (i > 0 && applied[i]! <= applied[i - 1]!)) return false
  }
  const kept = new Set(applied)
  const missing = log.filter((e) => !kept.has(e.id))
  if (missing.some((e) => e.kind !== 'text.delta')) return false
  return (
    JSON.stringify(finalState(log.filter((e) => kept.has(e.id)))) ===
    JSON.stringify(finalState(log))
  )
}
