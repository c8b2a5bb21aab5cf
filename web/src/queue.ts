/**
 * The follow-up queue under the running turn (issue 11.5): queued prompts in order, each editable
 * and removable while it waits; a paused queue says why and resumes with one tap. Built from the
 * log (turn.queued, turn.edited, turn.started, turn.ended, queue.paused, queue.resumed).
 */
import { api, ApiError, sessionPath } from './api.js'
import { h } from './dom.js'
import type { LogEvent } from './types.js'
import { toast } from './ui.js'

interface Queued {
  turnId: string
  prompt: string
  el: HTMLElement
}

export class QueueView {
  readonly el: HTMLElement
  private readonly list: HTMLElement
  private readonly pausedEl: HTMLElement
  private readonly items = new Map<string, Queued>()
  private paused: 'failed' | 'cancelled' | null = null

  constructor(private readonly sid: string) {
    this.list = h('ol', { class: 'queue-list', 'aria-label': 'Queued prompts' })
    this.pausedEl = h('div', { class: 'queue-paused', hidden: true })
    this.el = h(
      'section',
      { class: 'queue', 'aria-label': 'Queue', hidden: true },
      h('div', { class: 'queue-head' }, 'Queued next'),
      this.pausedEl,
      this.list
    )
  }

  reset(): void {
    this.items.clear()
    this.list.replaceChildren()
    this.paused = null
    this.paint()
  }

  /** Is this turn waiting in the queue (so its turn.ended is a removal, not an ending)? */
  has(turnId: string | null): boolean {
    return turnId !== null && this.items.has(turnId)
  }

  get ids(): string[] {
    return [...this.items.keys()]
  }

  see(ev: LogEvent): void {
    switch (ev.kind) {
      case 'turn.queued':
        if (ev.turnId) this.add(ev.turnId, ev.prompt)
        break
      case 'turn.edited': {
        const q = ev.turnId ? this.items.get(ev.turnId) : undefined
        if (q) {
          q.prompt = ev.prompt
          q.el.querySelector('.queue-text')!.textContent = ev.prompt
        }
        break
      }
      case 'turn.started':
      case 'turn.ended':
        if (ev.turnId) this.drop(ev.turnId)
        break
      case 'queue.paused':
        this.paused = ev.reason
        break
      case 'queue.resumed':
        this.paused = null
        break
      default:
        return
    }
    this.paint()
  }

  private add(turnId: string, prompt: string): void {
    const textEl = h('div', { class: 'queue-text' }, prompt)
    const edit = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'data-action': 'edit',
        onClick: () => this.edit(turnId),
      },
      'Edit'
    )
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small btn-danger-quiet',
        'data-action': 'remove',
        onClick: () => void this.remove(turnId),
      },
      'Remove'
    )
    const el = h(
      'li',
      { class: 'queue-item', 'data-turn-id': turnId },
      textEl,
      h('div', { class: 'queue-actions' }, edit, remove)
    )
    this.items.set(turnId, { turnId, prompt, el })
    this.list.appendChild(el)
  }

  private drop(turnId: string): void {
    this.items.get(turnId)?.el.remove()
    this.items.delete(turnId)
    if (this.items.size === 0) this.paused = null
  }

  private paint(): void {
    this.el.hidden = this.items.size === 0
    this.pausedEl.hidden = this.paused === null
    if (this.paused) {
      this.pausedEl.replaceChildren(
        h(
          'span',
          null,
          `Paused: the last turn ${this.paused === 'failed' ? 'failed' : 'was cancelled'}. Nothing runs until you resume (or send a new prompt, which goes first).`
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small btn-primary',
            'data-action': 'resume',
            onClick: () => void this.resume(),
          },
          'Resume'
        )
      )
    }
  }

  private edit(turnId: string): void {
    const q = this.items.get(turnId)
    if (!q || q.el.querySelector('.queue-edit')) return
    const ta = h('textarea', {
      class: 'input queue-edit',
      rows: 3,
      name: 'queued-prompt',
      'aria-label': 'Queued prompt',
    })
    ta.value = q.prompt
    const save = h(
      'button',
      { type: 'button', class: 'btn btn-small btn-primary', 'data-action': 'save' },
      'Save'
    )
    const cancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel')
    const box = h(
      'div',
      { class: 'queue-editor' },
      ta,
      h('div', { class: 'queue-actions' }, cancel, save)
    )
    q.el.appendChild(box)
    ta.focus()
    cancel.addEventListener('click', () => box.remove())
    save.addEventListener('click', async () => {
      if (!ta.value.trim()) return
      save.disabled = true
      try {
        await api.patch(`${sessionPath(this.sid)}/turns/${encodeURIComponent(turnId)}`, {
          prompt: ta.value,
        })
        box.remove()
      } catch (e) {
        save.disabled = false
        toast(
          e instanceof ApiError && e.code === 'turn_not_queued'
            ? 'Too late: that prompt has started.'
            : `Not saved: ${e instanceof Error ? e.message : String(e)}`
        )
      }
    })
  }

  private async remove(turnId: string): Promise<void> {
    try {
      await api.del(`${sessionPath(this.sid)}/turns/${encodeURIComponent(turnId)}`)
    } catch (e) {
      toast(
        e instanceof ApiError && e.code === 'turn_not_queued'
          ? 'Too late: that prompt has started.'
          : `Not removed: ${e instanceof Error ? e.message : String(e)}`
      )
    }
  }

  /** ⋯ → Clear queue: every queued prompt is removed; the running turn goes on. */
  async clear(): Promise<void> {
    const ids = this.ids
    for (const id of ids) await this.remove(id)
    if (ids.length)
      toast(`${ids.length} queued prompt${ids.length === 1 ? '' : 's'} removed.`, 'info')
  }

  private async resume(): Promise<void> {
    try {
      await api.post(`${sessionPath(this.sid)}/queue/resume`)
    } catch (e) {
      toast(`Not resumed: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}
