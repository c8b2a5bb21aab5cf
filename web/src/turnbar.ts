/**
 * The turn bar above the composer: the running turn's elapsed time and its Cancel button, or how
 * the last turn ended. A Cancel tapped while the daemon is unreachable is kept and retried (like
 * a prompt) until the daemon answers or the turn ends by itself.
 */
import { api, ApiError, sessionPath } from './api.js'
import { Retrier, type AttemptResult } from './backoff.js'
import { clock, duration, elapsed, h, text } from './dom.js'
import { endedStatus } from './endings.js'
import { STATUS_WORD } from './render.js'
import type { SessionStore } from './sessions.js'
import type { LogEvent, TurnStatus } from './types.js'
import { toast } from './ui.js'

interface TurnInfo {
  id: string | null
  startedAt: string
  status: TurnStatus
  durationMs: number | null
  cancelling: boolean
  /** The cancel could not reach the daemon yet. */
  cancelQueued: boolean
}

export class TurnBar {
  readonly el: HTMLElement
  caughtUp = false
  private readonly textEl: HTMLElement
  private readonly cancelBtn: HTMLButtonElement
  private turn: TurnInfo | null = null
  private readonly cancelRetry: Retrier

  constructor(
    private readonly sid: string,
    private readonly store: SessionStore,
    private readonly onChange: () => void
  ) {
    this.textEl = h('span', { class: 'turnbar-text' }, '')
    this.cancelBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger btn-small cancel',
        hidden: true,
        onClick: () => this.cancel(),
      },
      'Cancel'
    )
    this.el = h(
      'div',
      { class: 'turnbar', 'data-turn-status': 'none', role: 'status' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      this.textEl,
      this.cancelBtn
    )
    this.cancelRetry = new Retrier(() => this.sendCancel(), { baseMs: 1000, capMs: 15_000 })
    this.paint()
  }

  destroy(): void {
    this.cancelRetry.stop()
  }

  reset(): void {
    this.turn = null
    this.caughtUp = false
    this.cancelRetry.stop()
    this.paint()
  }

  tick(): void {
    if (this.turn?.status === 'running') this.paint()
  }

  /** The connection is back: a queued cancel goes now. */
  nudge(): void {
    this.cancelRetry.nudge()
  }

  /** The bar follows the log, so a replayed log ends with the same bar as a live one. */
  follow(ev: LogEvent): void {
    if (ev.kind === 'turn.started') {
      this.turn = {
        id: ev.turnId,
        startedAt: ev.ts,
        status: 'running',
        durationMs: null,
        cancelling: false,
        cancelQueued: false,
      }
      this.paint()
    } else if (ev.kind === 'turn.ended') {
      if (!this.turn || this.turn.id === ev.turnId) {
        this.turn = {
          id: ev.turnId,
          startedAt: this.turn?.startedAt ?? ev.ts,
          status: endedStatus(ev),
          durationMs: ev.durationMs,
          cancelling: false,
          cancelQueued: false,
        }
        // The turn is over: a cancel still waiting to be delivered has nothing left to do.
        this.cancelRetry.stop()
      }
      this.paint()
    }
  }

  paint(): void {
    const t = this.turn
    let status: string
    let label: string
    if (!t) {
      const s = this.store.get(this.sid)
      if (!this.caughtUp && s?.status === 'running') {
        status = 'running'
        label = 'Running…'
      } else {
        status = 'none'
        label = this.caughtUp ? 'Ready' : 'Loading…'
      }
    } else if (t.status === 'running') {
      status = t.cancelling ? 'cancelling' : 'running'
      const since = `since ${clock(t.startedAt)} · ${elapsed(Date.now() - Date.parse(t.startedAt))}`
      label = t.cancelQueued
        ? 'Cancel not sent yet: no connection. Retrying…'
        : t.cancelling
          ? `Cancelling… (running ${since})`
          : `Running ${since}`
    } else {
      status = t.status
      label = `Last turn ${STATUS_WORD[t.status].toLowerCase()}${t.durationMs !== null ? ` · ${duration(t.durationMs)}` : ''}`
    }
    if (this.el.dataset.turnStatus !== status) this.el.dataset.turnStatus = status
    this.el.dataset.cancelQueued = t?.cancelQueued ? 'true' : 'false'
    text(this.textEl, label)
    this.cancelBtn.hidden = status !== 'running' && status !== 'cancelling'
    this.cancelBtn.disabled = status === 'cancelling'
    text(this.cancelBtn, status === 'cancelling' ? 'Cancelling…' : 'Cancel')
  }

  private cancel(): void {
    const t = this.turn
    if (!t || t.status !== 'running' || t.cancelling) return
    t.cancelling = true
    this.paint()
    this.cancelRetry.start()
  }

  private async sendCancel(): Promise<AttemptResult> {
    const t = this.turn
    if (!t || t.status !== 'running' || !t.cancelling) return 'done'
    try {
      const r = await api.post<{ cancelled: boolean }>(
        `${sessionPath(this.sid)}/cancel`,
        undefined,
        { timeoutMs: 10_000 }
      )
      t.cancelQueued = false
      // Nothing was running on the daemon's side: the turn is ending; its turn.ended is on the way.
      if (!r.cancelled && this.turn === t && t.status === 'running') t.cancelling = false
      return 'done'
    } catch (e) {
      if (e instanceof ApiError && e.transient) {
        t.cancelQueued = true
        return 'retry'
      }
      t.cancelling = false
      t.cancelQueued = false
      toast(`Could not cancel: ${e instanceof Error ? e.message : String(e)}`)
      return 'done'
    } finally {
      this.paint()
      this.onChange()
    }
  }
}
