/**
 * Approval cards (issue 9.10): claude asks before a tool call, a question or a plan. The card sits
 * in the chat where the request happened and, while pending, a copy is pinned above the composer.
 * Both are built from the log (permission.requested / permission.resolved), so a reload and a
 * second phone show the same card; the answer is a POST, and the card changes when the log says so.
 */
import { api, ApiError, sessionPath } from './api.js'
import { h, text } from './dom.js'
import { renderMarkdown } from './markdown.js'
import { actions, expiry, questionForm, type Answer } from './approval-forms.js'
import { toolInputView } from './tools.js'
import type { Ev } from './types.js'
import { toast } from './ui.js'

type Requested = Ev<'permission.requested'>
type Resolved = Ev<'permission.resolved'>

/** What a card loses once its request is over: the ways to answer it. */
const PENDING_ONLY =
  '.approval-actions, .approval-deny, .approval-answer, .approval-expiry, .approval-waiting'

interface Pending {
  ev: Requested
  /** The card in the log, and the pinned copy (null once resolved). */
  cards: HTMLElement[]
}

/** How a request ended, in words; "on another device" when this page did not send the answer. */
export function outcomeText(
  r: Resolved,
  mine: boolean,
  kind: Requested['requestKind'] | null = null
): string {
  const where = mine ? '' : ' on another device'
  switch (r.by) {
    case 'timeout':
      return 'Not answered in time: denied.'
    case 'cancel':
      return 'The turn was cancelled before an answer.'
    case 'lost':
      return 'The request was lost when claude stopped.'
    default:
      break
  }
  if (r.answers && Object.keys(r.answers).length)
    return `Answered${where}: ${Object.values(r.answers).join(', ')}`
  if (kind === 'plan')
    return r.decision === 'allow'
      ? `Plan approved${where}.`
      : `Kept planning${where}${r.message ? `: “${r.message}”` : '.'}`
  if (r.decision === 'allow')
    return r.scope === 'session' ? `Allowed for this session${where}.` : `Allowed once${where}.`
  return `Denied${where}${r.message ? `: “${r.message}”` : '.'}`
}

export class Approvals {
  private readonly pending = new Map<string, Pending>()
  /** Requests this page answered (to tell "you" from "another device"). */
  private readonly mine = new Set<string>()

  constructor(
    private readonly sid: string,
    /** The box above the composer where pending cards are pinned. */
    private readonly pin: HTMLElement
  ) {}

  reset(): void {
    this.pending.clear()
    this.pin.replaceChildren()
    this.paintPin()
  }

  get count(): number {
    return this.pending.size
  }

  /**
   * The card for the log; its twin goes to the pin. While pending, the one in the log is a stub
   * (the styles hide its details and buttons): on a phone the two would fill the screen twice.
   */
  requested(ev: Requested, item: (...children: Node[]) => HTMLElement): HTMLElement {
    const inLog = item(
      ...this.body(ev),
      h('p', { class: 'approval-waiting' }, 'Waiting for your answer, below.')
    )
    inLog.dataset.requestId = ev.requestId
    inLog.dataset.state = 'pending'
    const pinned = h(
      'div',
      { class: 'approval pinned', 'data-request-id': ev.requestId, 'data-state': 'pending' },
      ...this.body(ev)
    )
    this.pending.set(ev.requestId, { ev, cards: [inLog, pinned] })
    this.pin.appendChild(pinned)
    this.paintPin()
    return inLog
  }

  resolved(ev: Resolved, item: (...children: Node[]) => HTMLElement): HTMLElement {
    const p = this.pending.get(ev.requestId)
    this.pending.delete(ev.requestId)
    const outcome = outcomeText(ev, this.mine.has(ev.requestId), p?.ev.requestKind ?? null)
    if (p) {
      const [inLog, pinned] = p.cards
      pinned?.remove()
      if (inLog) {
        inLog.dataset.state = ev.decision === 'allow' ? 'allowed' : 'denied'
        for (const el of Array.from(inLog.querySelectorAll(PENDING_ONLY))) el.remove()
      }
    }
    this.paintPin()
    // The resolution is its own small line under the card (the card stays where it was asked).
    const line = item(h('span', null, outcome))
    line.dataset.requestId = ev.requestId
    return line
  }

  /** The turn ended: a request still pending with it will not be answered any more. */
  endTurn(turnId: string | null): void {
    for (const [id, p] of this.pending) {
      if (p.ev.turnId !== turnId) continue
      this.pending.delete(id)
      p.cards[1]?.remove()
      if (p.cards[0]) p.cards[0].dataset.state = 'denied'
      for (const el of Array.from(p.cards[0]?.querySelectorAll(PENDING_ONLY) ?? [])) el.remove()
    }
    this.paintPin()
  }

  /** Once a second: the expiry countdowns. */
  tick(): void {
    for (const p of this.pending.values()) {
      for (const c of p.cards) {
        const el = c.querySelector('.approval-expiry')
        if (el && p.ev.expiresAt) text(el, expiry(p.ev.expiresAt))
      }
    }
  }

  private paintPin(): void {
    this.pin.hidden = this.pending.size === 0
    const cards = Array.from(this.pin.children) as HTMLElement[]
    // One card at a time above the composer: the oldest; the others wait their turn.
    cards.forEach((c, i) => (c.hidden = i > 0))
    this.pin.dataset.more = String(Math.max(0, cards.length - 1))
  }

  private body(ev: Requested): Node[] {
    const send = (a: Answer) => void this.send(ev, a)
    const kind = ev.requestKind
    const head =
      kind === 'question'
        ? 'claude asks you'
        : kind === 'plan'
          ? 'claude has a plan and asks to go ahead'
          : `claude wants to use ${ev.toolName}`
    const out: Node[] = [
      h(
        'div',
        { class: 'approval-head' },
        h(
          'span',
          { class: 'approval-icon', 'aria-hidden': 'true' },
          kind === 'question' ? '?' : '!'
        ),
        head
      ),
    ]
    if (kind === 'question') out.push(questionForm(ev.input, send))
    else if (kind === 'plan') {
      const plan = (ev.input as { plan?: unknown } | null)?.plan
      out.push(
        h(
          'div',
          { class: 'md approval-plan' },
          renderMarkdown(typeof plan === 'string' ? plan : '')
        )
      )
      out.push(
        actions(
          [['Approve the plan', { decision: 'allow', scope: 'once' }, 'btn-primary']],
          'Keep planning',
          send
        )
      )
    } else {
      if (ev.summary) out.push(h('div', { class: 'approval-summary' }, ev.summary))
      const view = toolInputView(ev.toolName, ev.input)
      const isDiff = view.classList.contains('diff')
      out.push(
        h(
          'details',
          { class: 'approval-input', open: isDiff },
          h('summary', null, isDiff ? 'The change' : 'Details'),
          view
        )
      )
      out.push(
        actions(
          [
            ['Allow once', { decision: 'allow', scope: 'once' }, 'btn-primary'],
            ['Allow for this session', { decision: 'allow', scope: 'session' }, ''],
          ],
          'Deny',
          send
        )
      )
    }
    if (ev.expiresAt) out.push(h('div', { class: 'approval-expiry' }, expiry(ev.expiresAt)))
    return out
  }

  private async send(ev: Requested, answer: Answer): Promise<void> {
    const p = this.pending.get(ev.requestId)
    const buttons = p ? p.cards.flatMap((c) => Array.from(c.querySelectorAll('button'))) : []
    for (const b of buttons) b.disabled = true
    this.mine.add(ev.requestId)
    try {
      await api.post(
        `${sessionPath(this.sid)}/permissions/${encodeURIComponent(ev.requestId)}`,
        answer,
        { timeoutMs: 15_000 }
      )
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        this.mine.delete(ev.requestId)
        toast('This was already answered (on another device, or it timed out).', 'info')
        return
      }
      this.mine.delete(ev.requestId)
      for (const b of buttons) b.disabled = false
      toast(`Not sent: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}
