/**
 * Turns one LogEvent into a DOM patch on a conversation log. Kept apart from the view (chat.ts)
 * because what is on the page — open bubbles, tool cards awaiting a result, the retry line, the
 * current turn's container — is exactly the state a later event must find to patch in place
 * instead of re-rendering, and that state has to be dropped as one piece when the log resets.
 */
import { bytes, clock, count, duration, h, num, str, usd } from './dom.js'
import { renderMarkdown } from './markdown.js'
import type { LogEvent, TurnStatus } from './types.js'

interface Bubble {
  el: HTMLElement
  body: Text
  turnId: string | null
  parent: string
}

interface ToolCard {
  el: HTMLDetailsElement
  state: HTMLElement
  body: HTMLElement
  turnId: string | null
  done: boolean
}

export const STATUS_WORD: Record<TurnStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
}

/** A turn.ended written without a status is an old log of a turn that finished normally. */
export const endedStatus = (ev: LogEvent): TurnStatus => (str(ev.status) || 'completed') as TurnStatus

export class LogRenderer {
  private turnEl: HTMLElement | null = null
  private turnElId: string | null | undefined = undefined
  private readonly bubbles = new Map<string, Bubble>()
  private readonly tools = new Map<string, ToolCard>()
  private lastRetry: HTMLElement | null = null

  constructor(private readonly log: HTMLElement) {}

  /** The log is being replayed from the start: nothing rendered so far may be patched again. */
  reset(): void {
    this.log.replaceChildren()
    this.bubbles.clear()
    this.tools.clear()
    this.turnEl = null
    this.turnElId = undefined
    this.lastRetry = null
  }

  render(ev: LogEvent): void {
    // A retry line stays visible only until something else happens in the turn.
    if (this.lastRetry && ev.kind !== 'agent.retry') {
      this.lastRetry.classList.add('settled')
      this.lastRetry = null
    }
    switch (ev.kind) {
      case 'turn.started':
        this.add(ev, this.item(ev, 'div', 'user', h('div', { class: 'user-text' }, str(ev.prompt)), h('div', { class: 'stamp' }, clock(ev.ts))))
        return
      case 'agent.init':
        this.add(ev, this.item(ev, 'div', 'meta', `${str(ev.model)} · ${str(ev.permissionMode) || 'default'}`)).hidden = true
        return
      case 'text.delta':
        return this.delta(ev)
      case 'text':
        return this.finalText(ev)
      case 'thinking':
        this.add(ev, this.item(ev, 'details', 'thinking', h('summary', null, 'Thinking'), h('div', { class: 'thinking-text' }, str(ev.text))))
        return
      case 'tool.use':
        return this.toolUse(ev)
      case 'tool.result':
        return this.toolResult(ev)
      case 'tool.denied':
        return this.toolDenied(ev)
      case 'agent.retry':
        return this.retry(ev)
      case 'agent.notice':
        this.add(ev, this.item(ev, 'div', 'notice', `ℹ ${str(ev.message) || str(ev.subtype)}`))
        return
      case 'agent.raw':
        this.add(ev, this.item(ev, 'details', 'raw', h('summary', null, 'Unrecognised output'), h('pre', null, str(ev.line))))
        return
      case 'turn.result':
        return this.result(ev)
      case 'error':
        this.add(ev, this.item(ev, 'div', 'error', h('strong', null, ev.source === 'daemon' ? 'Daemon error' : 'Error'), h('div', { class: 'error-text' }, str(ev.message))))
        return
      case 'turn.ended':
        return this.turnEnded(ev)
      default:
        this.add(ev, this.item(ev, 'div', 'notice', `(${ev.kind})`))
    }
  }

  private container(ev: LogEvent): HTMLElement {
    if (!this.turnEl || this.turnElId !== ev.turnId) {
      this.turnEl = h('div', { class: 'turn', 'data-turn-id': ev.turnId ?? null })
      this.turnElId = ev.turnId
      this.log.appendChild(this.turnEl)
    }
    return this.turnEl
  }

  private item(ev: LogEvent, tag: 'div' | 'details', cls: string, ...children: (Node | string | null)[]): HTMLElement {
    return h(tag, { class: `item ${cls}`, 'data-event-id': ev.id, 'data-kind': ev.kind }, ...children)
  }

  private add(ev: LogEvent, el: HTMLElement): HTMLElement {
    this.container(ev).appendChild(el)
    return el
  }

  private retry(ev: LogEvent): void {
    const status = ev.status === null || ev.status === undefined ? '' : ` · ${str(ev.status)}`
    const wait = num(ev.delayMs) ? ` · next try in ${duration(num(ev.delayMs))}` : ''
    const el = this.add(ev, this.item(ev, 'div', 'notice retry', `↻ API error, retrying ${num(ev.attempt)}/${num(ev.maxRetries)}…${status}${wait}`))
    if (ev.error) el.title = str(ev.error)
    if (this.lastRetry) this.lastRetry.classList.add('settled', 'superseded')
    this.lastRetry = el
  }

  private bubbleKey(ev: LogEvent): string {
    return `${ev.turnId ?? ''}|${str(ev.parentToolUseId)}|${num(ev.index)}`
  }

  private delta(ev: LogEvent): void {
    const key = this.bubbleKey(ev)
    let b = this.bubbles.get(key)
    if (!b) {
      const body = document.createTextNode('')
      const el = h('div', { class: `assistant streaming${ev.parentToolUseId ? ' sub' : ''}`, 'data-delta-from': ev.id }, h('div', { class: 'stream-text' }, body))
      this.add(ev, el)
      b = { el, body, turnId: ev.turnId, parent: str(ev.parentToolUseId) }
      this.bubbles.set(key, b)
    }
    b.body.appendData(str(ev.text))
  }

  private finalText(ev: LogEvent): void {
    const body = h('div', { class: 'md' }, renderMarkdown(str(ev.text)))
    const el = this.item(ev, 'div', `assistant${ev.parentToolUseId ? ' sub' : ''}${ev.aborted ? ' aborted' : ''}`, body)
    if (ev.aborted) el.appendChild(h('div', { class: 'stamp' }, 'cut short'))
    // The final text replaces the oldest open bubble of the same turn and thread.
    const parent = str(ev.parentToolUseId)
    for (const [key, b] of this.bubbles) {
      if (b.turnId === ev.turnId && b.parent === parent) {
        this.bubbles.delete(key)
        b.el.replaceWith(el)
        return
      }
    }
    this.add(ev, el)
  }

  private toolCard(ev: LogEvent, name: string, summary: string): ToolCard {
    const state = h('span', { class: 'tool-state', 'aria-hidden': 'true' }, '')
    const body = h('div', { class: 'tool-body' })
    const el = this.item(
      ev,
      'details',
      `tool${ev.parentToolUseId ? ' sub' : ''}`,
      h('summary', null, state, h('span', { class: 'tool-name' }, name), h('span', { class: 'tool-sum' }, summary)),
      body
    ) as HTMLDetailsElement
    el.dataset.toolState = 'running'
    const card: ToolCard = { el, state, body, turnId: ev.turnId, done: false }
    this.tools.set(str(ev.toolUseId), card)
    this.add(ev, el)
    return card
  }

  private toolUse(ev: LogEvent): void {
    const card = this.toolCard(ev, str(ev.name) || 'tool', str(ev.summary))
    let input: string
    try {
      input = JSON.stringify(ev.input, null, 2) ?? ''
    } catch {
      input = String(ev.input)
    }
    card.body.appendChild(h('div', { class: 'tool-sec' }, h('div', { class: 'tool-label' }, 'Input'), h('pre', null, input)))
  }

  private toolResult(ev: LogEvent): void {
    const card = this.tools.get(str(ev.toolUseId)) ?? this.toolCard({ ...ev, kind: 'tool.use' }, 'tool', '')
    const isError = ev.isError === true
    const label = `${isError ? 'Error' : 'Result'} · ${bytes(num(ev.bytes))}${ev.truncated ? ' · truncated' : ''}`
    card.body.appendChild(
      h(
        'div',
        { class: `tool-sec tool-result${isError ? ' is-error' : ''}`, 'data-event-id': ev.id, 'data-kind': ev.kind },
        h('div', { class: 'tool-label' }, label),
        h('pre', null, str(ev.text) || '(no output)')
      )
    )
    if (card.el.dataset.toolState !== 'denied') card.el.dataset.toolState = isError ? 'error' : 'ok'
    card.done = true
  }

  private toolDenied(ev: LogEvent): void {
    const card = this.tools.get(str(ev.toolUseId)) ?? this.toolCard({ ...ev, kind: 'tool.use' }, str(ev.name) || 'tool', '')
    card.body.appendChild(
      h(
        'div',
        { class: 'tool-sec tool-denied', 'data-event-id': ev.id, 'data-kind': ev.kind },
        h('div', { class: 'tool-label' }, 'Denied'),
        h('div', null, str(ev.message) || 'permission denied')
      )
    )
    card.el.dataset.toolState = 'denied'
    card.el.querySelector('.tool-name')?.append(h('span', { class: 'tool-flag' }, ' denied'))
    card.done = true
  }

  private result(ev: LogEvent): void {
    const u = (ev.usage ?? {}) as Record<string, unknown>
    const tokensIn = num(u.inputTokens) + num(u.cacheReadInputTokens) + num(u.cacheCreationInputTokens)
    const parts = [usd(ev.costUsd), `${count(tokensIn)} in / ${count(u.outputTokens)} out`, duration(num(ev.durationMs))]
    if (num(ev.numTurns) > 1) parts.push(`${num(ev.numTurns)} steps`)
    const el = this.item(ev, 'div', `result${ev.isError ? ' is-error' : ''}`, parts.join(' · '))
    if (ev.isError) {
      const why = [str(ev.subtype), str(ev.terminalReason)].filter(Boolean).join(', ')
      el.prepend(h('div', { class: 'result-error' }, `Result: error${why ? ` (${why})` : ''}${ev.text ? ` — ${str(ev.text)}` : ''}`))
    }
    this.add(ev, el)
  }

  private turnEnded(ev: LogEvent): void {
    const status = endedStatus(ev)
    // Bubbles still open (cut off without a final text) are kept as plain text.
    for (const [key, b] of this.bubbles) {
      if (b.turnId === ev.turnId) {
        b.el.classList.remove('streaming')
        b.el.classList.add('aborted')
        this.bubbles.delete(key)
      }
    }
    for (const card of this.tools.values()) {
      if (card.turnId === ev.turnId && !card.done) {
        card.el.dataset.toolState = 'unfinished'
        card.done = true
      }
    }
    const extra = [ev.exitCode !== null && ev.exitCode !== undefined && ev.exitCode !== 0 ? `exit ${str(ev.exitCode)}` : '', ev.signal ? str(ev.signal) : '']
      .filter(Boolean)
      .join(', ')
    this.add(
      ev,
      this.item(ev, 'div', `ended status-${status}`, `${STATUS_WORD[status] ?? status} · ${duration(num(ev.durationMs))}${extra ? ` · ${extra}` : ''}`)
    )
  }
}
