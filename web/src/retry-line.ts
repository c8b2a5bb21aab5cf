/** "↻ The API answered 529, retrying in 4 s (try 2 of 10)": the last retry line, counting down. */
import type { Ev } from './types.js'

interface Shown {
  el: HTMLElement
  ev: Ev<'agent.retry'>
  at: number
}

export class RetryLine {
  private shown: Shown | null = null

  /** A retry was announced in `el`; an earlier line is superseded. */
  show(el: HTMLElement, ev: Ev<'agent.retry'>): void {
    this.settle(true)
    if (ev.error) el.title = ev.error
    // The countdown runs from when the retry was announced, so a replayed old line does not count down.
    this.shown = { el, ev, at: Date.parse(ev.ts) }
    this.tick()
  }

  /** Once a second: the countdown. */
  tick(): void {
    const r = this.shown
    if (!r) return
    const left = Math.ceil((r.at + r.ev.delayMs - Date.now()) / 1000)
    const why = r.ev.status ? `The API answered ${r.ev.status}` : 'The API did not answer'
    const when = left > 0 ? `retrying in ${left} s` : 'retrying now'
    const txt = `↻ ${why}, ${when} (try ${r.ev.attempt} of ${r.ev.maxRetries})`
    if (r.el.textContent !== txt) r.el.textContent = txt
  }

  /** Superseded by a newer retry, or something else happened: the line stops counting. */
  settle(superseded: boolean): void {
    const r = this.shown
    if (!r) return
    this.shown = null
    r.el.classList.add('settled')
    if (superseded) r.el.classList.add('superseded')
    else
      r.el.textContent = `↻ The API answered after ${r.ev.attempt} ${r.ev.attempt === 1 ? 'retry' : 'retries'}`
  }

  /** The log is rebuilt: the line is gone with it. */
  reset(): void {
    this.shown = null
  }
}
