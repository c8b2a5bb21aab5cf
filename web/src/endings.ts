/**
 * How a turn ended, as one plain sentence, with the raw details (exit code, claude's error lines,
 * the result's subtype) one tap away. A user's cancel is not a crash and must not read like one.
 */
import { duration, h } from './dom.js'
import type { Ev } from './types.js'

export interface TurnFacts {
  result: Ev<'turn.result'> | null
  errors: Ev<'error'>[]
  denied: number
}

/** The daemon writes every turn.ended with its status (src/events/types.ts): no fallback needed. */
export const endedStatus = (ev: Ev<'turn.ended'>): Ev<'turn.ended'>['status'] => ev.status

function failure(ev: Ev<'turn.ended'>, f: TurnFacts): string {
  const r = f.result
  const daemonError = f.errors.find((e) => e.source === 'daemon')
  if (r?.terminalReason === 'api_error') {
    const code = /\b(\d{3})\b/.exec(r.text)?.[1]
    return `The Anthropic API failed${code ? ` (${code})` : ''}. Nothing was lost: send the prompt again in a moment.`
  }
  if (r?.subtype === 'error_max_turns')
    return 'Stopped: claude reached its limit of steps for one turn.'
  if (r?.subtype === 'error_max_budget_usd') return 'Stopped: the turn reached its spending limit.'
  if (daemonError) return `Stopped by the daemon: ${firstLine(daemonError.message)}`
  if (ev.signal) return `claude was stopped by a signal (${ev.signal}) before it finished.`
  if (r?.isError) return 'claude stopped with an error.'
  if (ev.exitCode !== null && ev.exitCode !== 0)
    return `claude quit unexpectedly (exit code ${ev.exitCode}).`
  return 'The turn failed.'
}

const firstLine = (s: string) => {
  const l = s.split('\n').find((x) => x.trim()) ?? s
  return l.length > 160 ? `${l.slice(0, 157)}…` : l
}

export function endingSentence(ev: Ev<'turn.ended'>, f: TurnFacts): string {
  const took = duration(ev.durationMs)
  switch (endedStatus(ev)) {
    case 'completed':
      return f.denied > 0
        ? `Done in ${took}, with ${f.denied} tool call${f.denied === 1 ? '' : 's'} not allowed.`
        : `Completed in ${took}.`
    case 'cancelled':
      return `You cancelled this turn after ${took}.`
    case 'interrupted':
      return 'The daemon restarted while this turn ran, so it was stopped. Send the prompt again to go on.'
    case 'failed':
      return failure(ev, f)
  }
}

/** The raw facts behind the sentence: nothing is hidden, it is just not in the way. */
export function endingDetails(ev: Ev<'turn.ended'>, f: TurnFacts): string[] {
  const out: string[] = [`status: ${endedStatus(ev)}`, `duration: ${duration(ev.durationMs)}`]
  if (ev.exitCode !== null) out.push(`exit code: ${ev.exitCode}`)
  if (ev.signal) out.push(`signal: ${ev.signal}`)
  if (f.result) {
    out.push(
      `result: ${f.result.subtype}${f.result.terminalReason ? ` (${f.result.terminalReason})` : ''}${f.result.isError ? ', error' : ''}`
    )
    if (f.result.isError && f.result.text) out.push(f.result.text)
  }
  for (const e of f.errors) out.push(`${e.source === 'daemon' ? 'daemon' : 'claude'}: ${e.message}`)
  return out
}

/** The ending line: a sentence, and for anything but a plain completion a tap shows the details. */
export function endingView(
  ev: Ev<'turn.ended'>,
  f: TurnFacts
): { tag: 'div' | 'details'; children: Node[] } {
  const status = endedStatus(ev)
  const sentence = endingSentence(ev, f)
  const details = endingDetails(ev, f)
  if (status === 'completed' && f.errors.length === 0)
    return { tag: 'div', children: [document.createTextNode(sentence)] }
  return {
    tag: 'details',
    children: [
      h(
        'summary',
        null,
        h('span', { class: 'ending-text' }, sentence),
        h('span', { class: 'ending-more' }, 'Details')
      ),
      h('pre', { class: 'wrap ending-raw' }, details.join('\n')),
    ],
  }
}
