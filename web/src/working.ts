/** "Working…" under a running turn: something is visible before the first token, and it says what claude last did. */
import { elapsed, h, text } from './dom.js'
import type { LogEvent } from './types.js'

export class WorkingLine {
  readonly el: HTMLElement
  private readonly label: HTMLElement
  private startedAt = 0
  private lastAt = 0
  private last = 'starting claude'
  private running = false
  private turnId: string | null = null

  constructor() {
    this.label = h('span', { class: 'working-text' })
    this.el = h(
      'div',
      { class: 'working', role: 'status', hidden: true },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      this.label
    )
  }

  /** What the event says claude is doing now. */
  see(ev: LogEvent): void {
    const at = Date.parse(ev.ts)
    switch (ev.kind) {
      case 'turn.started':
        this.running = true
        this.turnId = ev.turnId
        this.startedAt = at
        this.set('starting claude', at)
        break
      case 'agent.init':
        this.set('waiting for the model', at)
        break
      case 'text.delta':
        this.set('writing', at)
        break
      case 'text':
        this.set('thinking about the next step', at)
        break
      case 'thinking':
        this.set('thinking', at)
        break
      case 'tool.use':
        this.set(`running ${ev.name}${ev.summary ? `: ${ev.summary}` : ''}`, at)
        break
      case 'tool.result':
      case 'tool.denied':
        this.set('reading the tool’s result', at)
        break
      case 'permission.requested':
        this.set('waiting for your answer', at)
        break
      case 'permission.resolved':
        this.set('going on after the answer', at)
        break
      case 'agent.retry':
        this.set('waiting for the API to answer', at)
        break
      case 'turn.ended':
        // A queued prompt removed while another turn runs does not end the running one.
        if (ev.turnId === this.turnId) this.running = false
        break
      default:
        break
    }
    this.paint()
  }

  /** Forget (the log is being rebuilt). */
  reset(): void {
    this.running = false
    this.paint()
  }

  paint(): void {
    this.el.hidden = !this.running
    if (!this.running) return
    const now = Date.now()
    const ago = Math.round((now - this.lastAt) / 1000)
    text(
      this.label,
      `Working… ${elapsed(now - this.startedAt)} · ${this.last}${ago >= 5 ? ` (${ago} s ago)` : ''}`
    )
  }

  private set(what: string, at: number): void {
    this.last = what
    this.lastAt = Number.isFinite(at) ? Math.min(at, Date.now()) : Date.now()
  }
}
