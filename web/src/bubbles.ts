/**
 * Assistant text: a bubble per streamed block that grows with each `text.delta`, replaced in place
 * by the block's final `text` (rendered as markdown), or kept as plain text when the turn ends
 * without one. The open bubbles are the state a later event must find.
 */
import { copyButton } from './copy.js'
import { h } from './dom.js'
import { renderMarkdown } from './markdown.js'
import type { Item } from './tools.js'
import type { Ev } from './types.js'

interface Bubble {
  el: HTMLElement
  body: Text
  turnId: string | null
  parent: string
}

export class Bubbles {
  private readonly open = new Map<string, Bubble>()

  constructor(
    private readonly item: Item,
    private readonly add: (ev: { turnId: string | null }, el: HTMLElement) => void
  ) {}

  clear(): void {
    this.open.clear()
  }

  delta(ev: Ev<'text.delta'>): void {
    const key = `${ev.turnId ?? ''}|${ev.parentToolUseId ?? ''}|${ev.index}`
    let b = this.open.get(key)
    if (!b) {
      const body = document.createTextNode('')
      const el = h(
        'div',
        {
          class: `assistant streaming${ev.parentToolUseId ? ' sub' : ''}`,
          'data-delta-from': ev.id,
        },
        h('div', { class: 'stream-text' }, body)
      )
      this.add(ev, el)
      b = { el, body, turnId: ev.turnId, parent: ev.parentToolUseId ?? '' }
      this.open.set(key, b)
    }
    b.body.appendData(ev.text)
  }

  final(ev: Ev<'text'>): void {
    const body = h('div', { class: 'md' }, renderMarkdown(ev.text))
    const el = this.item(
      ev,
      'div',
      `assistant${ev.parentToolUseId ? ' sub' : ''}${ev.aborted ? ' aborted' : ''}`,
      body
    )
    const foot = h(
      'div',
      { class: 'msg-foot' },
      ev.aborted ? h('span', { class: 'stamp' }, 'cut short') : null,
      copyButton(() => ev.text, 'Copy message')
    )
    el.appendChild(foot)
    // The final text replaces the oldest open bubble of the same turn and thread.
    const parent = ev.parentToolUseId ?? ''
    for (const [key, b] of this.open) {
      if (b.turnId === ev.turnId && b.parent === parent) {
        this.open.delete(key)
        b.el.replaceWith(el)
        return
      }
    }
    this.add(ev, el)
  }

  /** Bubbles still open (cut off without a final text) are kept as plain text. */
  endTurn(turnId: string | null): void {
    for (const [key, b] of this.open) {
      if (b.turnId === turnId) {
        b.el.classList.remove('streaming')
        b.el.classList.add('aborted')
        this.open.delete(key)
      }
    }
  }
}
