/**
 * Turns one LogEvent into a DOM patch on a conversation log. Kept apart from the view (chat.ts)
 * because what is on the page — open bubbles, tool cards awaiting a result, the retry line, the
 * current turn's container — is exactly the state a later event must find to patch in place
 * instead of re-rendering, and that state has to be dropped as one piece when the log resets.
 */
import type { Approvals } from './approval.js'
import { Bubbles } from './bubbles.js'
import { clock, count, duration, h, usd } from './dom.js'
import { endedStatus, endingView, type TurnFacts } from './endings.js'
import type { QueueView } from './queue.js'
import { RetryLine } from './retry-line.js'
import { ToolCards, type Item } from './tools.js'
import type { Ev, LogEvent, TurnStatus } from './types.js'

export const STATUS_WORD: Record<TurnStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
}

export { endedStatus }

type Base = { id: number; kind: string; turnId: string | null }

export class LogRenderer {
  private turnEl: HTMLElement | null = null
  private turnElId: string | null | undefined = undefined
  private readonly bubbles: Bubbles
  private readonly tools: ToolCards
  private readonly retryLine = new RetryLine()
  private facts: TurnFacts = { result: null, errors: [], denied: 0 }
  private prompt = ''

  constructor(
    private readonly log: HTMLElement,
    private readonly parts: {
      approvals: Approvals
      queue: QueueView
      /** "Send again" under a failed or cancelled turn. */
      resend(prompt: string): void
    }
  ) {
    const item: Item = (ev, tag, cls, ...children) => this.item(ev, tag, cls, ...children)
    const add = (ev: { turnId: string | null }, el: HTMLElement) => void this.add(ev, el)
    this.tools = new ToolCards(item, add)
    this.bubbles = new Bubbles(item, add)
  }

  /** The log is being replayed from the start: nothing rendered so far may be patched again. */
  reset(): void {
    this.log.replaceChildren()
    this.bubbles.clear()
    this.tools.clear()
    this.turnEl = null
    this.turnElId = undefined
    this.retryLine.reset()
    this.facts = { result: null, errors: [], denied: 0 }
  }

  render(ev: LogEvent): void {
    // A retry line counts down only until something else happens in the turn.
    if (ev.kind !== 'agent.retry') this.retryLine.settle(false)
    switch (ev.kind) {
      case 'turn.started':
        this.facts = { result: null, errors: [], denied: 0 }
        this.prompt = ev.prompt
        this.add(
          ev,
          this.item(
            ev,
            'div',
            'user',
            h('div', { class: 'user-text' }, ev.prompt),
            h('div', { class: 'stamp' }, clock(ev.ts))
          )
        )
        return
      case 'agent.init':
        this.add(
          ev,
          this.item(ev, 'div', 'meta', `${ev.model} · ${ev.permissionMode || 'default'}`)
        ).hidden = true
        return
      case 'text.delta':
        return this.bubbles.delta(ev)
      case 'text':
        return this.bubbles.final(ev)
      case 'thinking':
        this.add(
          ev,
          this.item(
            ev,
            'details',
            'thinking',
            h('summary', null, 'Thinking'),
            h('div', { class: 'thinking-text' }, ev.text)
          )
        )
        return
      case 'tool.use':
        return this.tools.use(ev)
      case 'tool.result':
        return this.tools.result(ev)
      case 'tool.denied':
        this.facts.denied++
        return this.tools.denied(ev)
      case 'agent.retry':
        return this.retryLine.show(this.add(ev, this.item(ev, 'div', 'notice retry', '')), ev)
      case 'agent.notice':
        this.add(ev, this.item(ev, 'div', 'notice', `ℹ ${ev.message || ev.subtype}`))
        return
      case 'agent.raw':
        this.add(
          ev,
          this.item(
            ev,
            'details',
            'raw',
            h('summary', null, 'Unrecognised output'),
            h('pre', null, ev.line)
          )
        )
        return
      case 'turn.result':
        return this.result(ev)
      case 'error':
        return this.error(ev)
      case 'turn.ended':
        // A queued prompt that was removed never ran: a line in the turn that is on screen, not a turn.
        if (this.parts.queue.has(ev.turnId)) return this.queueMark(ev, 'Removed from the queue.')
        return this.turnEnded(ev)
      case 'permission.requested':
        this.add(
          ev,
          this.parts.approvals.requested(ev, (...c) => this.item(ev, 'div', 'approval', ...c))
        )
        return
      case 'permission.resolved': {
        const line = this.parts.approvals.resolved(ev, (...c) =>
          this.item(ev, 'div', 'approval-outcome', ...c)
        )
        line.dataset.decision = ev.decision
        this.add(ev, line)
        return
      }
      case 'turn.queued':
      case 'turn.edited':
      case 'queue.resumed':
        // Shown by the queue under the running turn; the log keeps a mark so every event is drawn once.
        return this.queueMark(ev, null)
      case 'queue.paused':
        return this.queueMark(
          ev,
          ev.reason === 'failed'
            ? 'The queue is paused after this failure.'
            : 'The queue is paused after this cancel.'
        )
      default:
        this.add(ev, this.item(ev, 'div', 'notice', `(${(ev as Base).kind})`))
    }
  }

  private queueMark(ev: Base, say: string | null): void {
    const el = this.item(ev, 'div', 'notice queue-mark', say ?? '')
    el.hidden = say === null
    ;(this.turnEl ?? this.container(ev)).appendChild(el)
  }

  /** Once a second: the retry countdown. */
  tick(): void {
    this.retryLine.tick()
  }

  private container(ev: { turnId: string | null }): HTMLElement {
    if (!this.turnEl || this.turnElId !== ev.turnId) {
      this.turnEl = h('div', { class: 'turn', 'data-turn-id': ev.turnId ?? null })
      this.turnElId = ev.turnId
      this.log.appendChild(this.turnEl)
    }
    return this.turnEl
  }

  private item(
    ev: Base,
    tag: 'div' | 'details',
    cls: string,
    ...children: (Node | string | null)[]
  ): HTMLElement {
    return h(
      tag,
      { class: `item ${cls}`, 'data-event-id': ev.id, 'data-kind': ev.kind },
      ...children
    )
  }

  private add(ev: { turnId: string | null }, el: HTMLElement): HTMLElement {
    this.container(ev).appendChild(el)
    return el
  }

  /** claude's stderr and the daemon's errors: a short line, the full text one tap away. */
  private error(ev: Ev<'error'>): void {
    this.facts.errors.push(ev)
    const first = ev.message.split('\n').find((l) => l.trim()) ?? ev.message
    const who = ev.source === 'daemon' ? 'Daemon' : 'claude'
    this.add(
      ev,
      this.item(
        ev,
        'details',
        'error diag',
        h(
          'summary',
          null,
          h('span', { class: 'diag-who' }, `${who}: `),
          first.length > 120 ? `${first.slice(0, 117)}…` : first
        ),
        h('pre', { class: 'wrap error-text' }, ev.message)
      )
    )
  }

  private result(ev: Ev<'turn.result'>): void {
    this.facts.result = ev
    const u = ev.usage ?? {
      inputTokens: 0,
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
    }
    const tokensIn = u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens
    const parts = [
      usd(ev.costUsd),
      `${count(tokensIn)} in / ${count(u.outputTokens)} out`,
      duration(ev.durationMs),
    ]
    if (ev.numTurns > 1) parts.push(`${ev.numTurns} steps`)
    // An error result's text is said by the ending sentence (and in its details), not here again.
    this.add(ev, this.item(ev, 'div', 'result', parts.join(' · ')))
  }

  private turnEnded(ev: Ev<'turn.ended'>): void {
    const status = endedStatus(ev)
    this.bubbles.endTurn(ev.turnId)
    this.tools.endTurn(ev.turnId)
    this.parts.approvals.endTurn(ev.turnId)
    const turn = this.container(ev)
    // The retry lines and error lines of an ended turn are in the ending's details now.
    for (const el of Array.from(turn.querySelectorAll<HTMLElement>('.retry')))
      el.classList.add('superseded')
    if (status !== 'completed')
      for (const el of Array.from(turn.querySelectorAll<HTMLElement>('.diag')))
        el.classList.add('folded-away')
    const view = endingView(ev, this.facts)
    this.add(ev, this.item(ev, view.tag, `ended status-${status}`, ...view.children))
    if (
      (status === 'failed' || status === 'cancelled' || status === 'interrupted') &&
      this.prompt
    ) {
      const prompt = this.prompt
      this.add(
        ev,
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small resend',
            onClick: () => this.parts.resend(prompt),
          },
          'Send this prompt again'
        )
      )
    }
    turn.dataset.ended = status
  }
}
