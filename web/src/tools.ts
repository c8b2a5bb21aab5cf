/**
 * Tool cards: one collapsible card per tool call, showing what the call means (the Bash command,
 * a diff for file edits, the path for reads) rather than its JSON, and its output wrapped.
 */
import { foldedPre } from './clip.js'
import { diffView } from './diff.js'
import { bytes, h } from './dom.js'
import type { Ev } from './types.js'

export interface ToolCard {
  el: HTMLDetailsElement
  body: HTMLElement
  turnId: string | null
  done: boolean
  deniedMessage: string | null
}

export type Item = (
  ev: { id: number; kind: string; turnId: string | null },
  tag: 'div' | 'details',
  cls: string,
  ...children: (Node | string | null)[]
) => HTMLElement

function json(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? ''
  } catch {
    return String(v)
  }
}

/** Any other tool: its fields as labelled rows; short strings inline, long ones as wrapped blocks. */
function fields(input: unknown): HTMLElement {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return h('pre', { class: 'wrap' }, json(input))
  const rows = Object.entries(input as Record<string, unknown>).map(([k, v]) => {
    const s = typeof v === 'string' ? v : json(v)
    const long = s.length > 60 || s.includes('\n')
    return h(
      'div',
      { class: `kv${long ? ' kv-long' : ''}` },
      h('span', { class: 'kv-key' }, k),
      long ? h('pre', { class: 'wrap' }, s) : h('span', { class: 'kv-val' }, s)
    )
  })
  return h('div', { class: 'kvs' }, ...rows)
}

/** What the call does, in the form a person reads it. Exported for the approval cards. */
export function toolInputView(name: string, input: unknown): HTMLElement {
  const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  if (name === 'Bash' && typeof o.command === 'string') {
    return h(
      'div',
      { class: 'bash' },
      typeof o.description === 'string' ? h('div', { class: 'bash-desc' }, o.description) : null,
      h(
        'pre',
        { class: 'wrap cmd' },
        h('span', { class: 'prompt-sign', 'aria-hidden': 'true' }, '$ '),
        o.command
      )
    )
  }
  return diffView(name, input) ?? fields(input)
}

export class ToolCards {
  private readonly cards = new Map<string, ToolCard>()

  constructor(
    private readonly item: Item,
    private readonly add: (ev: { turnId: string | null }, el: HTMLElement) => void
  ) {}

  clear(): void {
    this.cards.clear()
  }

  private card(
    ev: { id: number; kind: string; turnId: string | null; parentToolUseId?: string },
    toolUseId: string,
    name: string,
    summary: string
  ): ToolCard {
    const body = h('div', { class: 'tool-body' })
    const el = this.item(
      ev,
      'details',
      `tool${ev.parentToolUseId ? ' sub' : ''}`,
      h(
        'summary',
        null,
        h('span', { class: 'tool-state', 'aria-hidden': 'true' }),
        h('span', { class: 'tool-name' }, name),
        h('span', { class: 'tool-sum' }, summary)
      ),
      body
    ) as HTMLDetailsElement
    el.dataset.toolState = 'running'
    el.dataset.tool = name
    const card: ToolCard = { el, body, turnId: ev.turnId, done: false, deniedMessage: null }
    this.cards.set(toolUseId, card)
    this.add(ev, el)
    return card
  }

  use(ev: Ev<'tool.use'>): void {
    const c = this.card(ev, ev.toolUseId, ev.name || 'tool', ev.summary)
    c.body.appendChild(h('div', { class: 'tool-sec tool-input' }, toolInputView(ev.name, ev.input)))
  }

  result(ev: Ev<'tool.result'>): void {
    const c =
      this.cards.get(ev.toolUseId) ??
      this.card({ ...ev, kind: 'tool.use' }, ev.toolUseId, 'tool', '')
    const sec = h('div', {
      class: `tool-sec tool-result${ev.isError ? ' is-error' : ''}`,
      'data-event-id': ev.id,
      'data-kind': ev.kind,
    })
    // A denied call's result repeats the denial: say it once.
    if (c.deniedMessage !== null && ev.text.trim() === c.deniedMessage.trim()) sec.hidden = true
    else {
      const label = `${ev.isError ? 'Error' : 'Output'} · ${bytes(ev.bytes)}${ev.truncated ? ' · truncated' : ''}`
      sec.append(
        h('div', { class: 'tool-label' }, label),
        foldedPre(ev.text || '(no output)', 'wrap')
      )
    }
    c.body.appendChild(sec)
    if (c.el.dataset.toolState !== 'denied') c.el.dataset.toolState = ev.isError ? 'error' : 'ok'
    c.done = true
  }

  denied(ev: Ev<'tool.denied'>): void {
    const c =
      this.cards.get(ev.toolUseId) ??
      this.card({ ...ev, kind: 'tool.use' }, ev.toolUseId, ev.name || 'tool', '')
    c.deniedMessage = ev.message
    c.body.appendChild(
      h(
        'div',
        { class: 'tool-sec tool-denied', 'data-event-id': ev.id, 'data-kind': ev.kind },
        h('div', { class: 'tool-label' }, 'Not allowed'),
        h('div', null, ev.message || 'permission denied')
      )
    )
    c.el.dataset.toolState = 'denied'
    c.el.querySelector('.tool-name')?.append(h('span', { class: 'tool-flag' }, ' · not allowed'))
    c.done = true
  }

  /** The turn ended: calls still waiting for a result never got one. */
  endTurn(turnId: string | null): void {
    for (const c of this.cards.values()) {
      if (c.turnId === turnId && !c.done) {
        c.el.dataset.toolState = 'unfinished'
        c.done = true
      }
    }
  }
}
