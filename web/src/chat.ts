/**
 * One session's conversation, built incrementally from its event stream: each event appends or
 * patches a few nodes (a text.delta appends to the open bubble), nothing is ever re-rendered whole.
 * Events are applied idempotently: an id at or below the last applied one is ignored.
 * This file is the view around the log (stream, cursor, scrolling, header, turn bar); how each
 * event kind becomes DOM is render.ts.
 */
import { api, ApiError, sessionPath } from './api.js'
import { Composer } from './composer.js'
import { clock, duration, elapsed, h, num, text } from './dom.js'
import { OlderTurns, TURNS_PER_PAGE } from './history.js'
import { endedStatus, LogRenderer, STATUS_WORD } from './render.js'
import type { SessionStore } from './sessions.js'
import { LiveStream } from './stream.js'
import type { LogEvent, TurnStatus } from './types.js'
import { toast } from './ui.js'

interface TurnInfo {
  id: string | null
  startedAt: string
  status: TurnStatus
  durationMs: number | null
  cancelling: boolean
}

export interface ChatHooks {
  store: SessionStore
  onChange(): void
  /** The session does not exist (any more). */
  onGone(id: string): void
  openActions(id: string): void
  header: (title: HTMLElement, actions: HTMLElement) => HTMLElement
}

export class ChatView {
  readonly el: HTMLElement
  readonly stream: LiveStream
  readonly composer: Composer
  /** The id of the last event applied; the stream reopens with ?after= this. */
  last = 0
  /** Every applied event id, in order (tests compare it with /history). */
  readonly applied: number[] = []
  caughtUp = false
  private readonly log: HTMLElement
  private readonly titleEl: HTMLElement
  private readonly bar: HTMLElement
  private readonly barText: HTMLElement
  private readonly cancelBtn: HTMLButtonElement
  private readonly jump: HTMLButtonElement
  private readonly empty: HTMLElement
  private readonly items: LogRenderer
  private readonly older: OlderTurns
  private turn: TurnInfo | null = null
  private stick = true
  private frame = 0
  private readonly unsub: () => void

  constructor(
    readonly sid: string,
    private readonly hooks: ChatHooks
  ) {
    this.titleEl = h('h1', { class: 'title' })
    const more = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Session actions', onClick: () => hooks.openActions(sid) }, '⋯')
    this.log = h('div', { class: 'log', role: 'log', 'aria-label': 'Conversation', 'data-session-id': sid })
    this.items = new LogRenderer(this.log)
    this.older = new OlderTurns(sid, this.log, toast)
    this.empty = h('p', { class: 'empty' }, 'Loading the conversation…')
    this.jump = h('button', { type: 'button', class: 'jump', hidden: true, onClick: () => this.scrollToEnd(true) }, '↓ Latest')
    this.barText = h('span', { class: 'turnbar-text' }, '')
    this.cancelBtn = h('button', { type: 'button', class: 'btn btn-danger btn-small cancel', hidden: true, onClick: () => this.cancel() }, 'Cancel')
    this.bar = h('div', { class: 'turnbar', 'data-turn-status': 'none', role: 'status' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), this.barText, this.cancelBtn)
    this.composer = new Composer(sid)
    this.el = h(
      'section',
      { class: 'view chat', 'data-view': 'chat' },
      hooks.header(this.titleEl, more),
      h('main', { class: 'main' }, this.older.button, this.empty, this.log, this.jump),
      h('footer', { class: 'dock' }, this.bar, this.composer.el)
    )
    this.unsub = hooks.store.subscribe((id) => {
      if (id === sid || id === null) this.paintHeader()
    })
    this.paintHeader()
    this.paintBar()

    this.stream = new LiveStream('session', {
      // Catch-up mode, newest turns only: a phone back after an hour gets the latest state fast.
      // `visible=1`: no push for this session while someone is looking at it (src/notify/presence.ts).
      url: () =>
        `${sessionPath(sid)}/events?after=${this.last}&mode=catchup&turns=${TURNS_PER_PAGE}` +
        (document.visibilityState === 'visible' ? '&visible=1' : ''),
      onWindow: (d) => this.window(num(d.after)),
      onMessage: (data) => this.receive(data),
      onCaughtUp: () => {
        this.caughtUp = true
        this.empty.hidden = this.applied.length > 0
        text(this.empty, 'No messages yet. Write the first prompt below.')
        this.log.dataset.caughtUp = 'true'
        this.paintBar()
        this.composer.nudge()
      },
      onReset: () => this.rebuild(),
      probe: () => this.probe(),
      onChange: hooks.onChange,
    })
  }

  start(): void {
    if (this.last === 0) void this.preload()
    this.stream.start()
    this.stick = true
    this.paintHeader()
  }

  /** A cold open shows the newest turns from a fetch that starts before the stream does. */
  private async preload(): Promise<void> {
    const page = await this.older.newest()
    // Something else drew the log meanwhile (the stream got there first, or a reset): keep that.
    if (!page || this.last !== 0 || page.events.length === 0) return
    for (const ev of page.events) this.apply(ev)
    if (page.hasMore) this.older.set(page.firstEventId)
  }

  /** Off screen: the stream closes, the DOM, the cursor and the composer (and its pending send) stay. */
  suspend(): void {
    this.stream.stop()
  }

  destroy(): void {
    this.stream.stop()
    this.composer.destroy()
    this.unsub()
    if (this.frame) cancelAnimationFrame(this.frame)
  }

  /** Called every second: elapsed times. */
  tick(): void {
    if (this.turn?.status === 'running') this.paintBar()
  }

  // ---------------------------------------------------------------- stream plumbing

  private async probe(): Promise<boolean> {
    try {
      await api.get(sessionPath(this.sid), { timeoutMs: 10_000 })
      return true
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.hooks.onGone(this.sid)
        return false
      }
      return !(e instanceof ApiError && e.auth)
    }
  }

  /** `event: reset`: our cursor is beyond the head (the log is not what we saw). Start over. */
  private rebuild(): void {
    this.last = 0
    this.older.set(0)
    this.applied.length = 0
    this.items.reset()
    this.turn = null
    this.caughtUp = false
    this.stick = true
    this.paintBar()
    this.stream.reopen()
  }

  /** The stream skips to the newest turns: start the log over from there; older turns load on scroll. */
  private window(after: number): void {
    if (after <= this.last) return
    this.items.reset()
    this.applied.length = 0
    this.turn = null
    this.stick = true
    this.last = after
    this.older.set(after)
  }

  private receive(data: string): void {
    let ev: LogEvent
    try {
      ev = JSON.parse(data) as LogEvent
    } catch {
      return
    }
    this.apply(ev)
  }

  private apply(ev: LogEvent): void {
    if (typeof ev?.id !== 'number' || ev.id <= this.last) return
    if (!this.frame) {
      // Measured once per frame, before this frame's nodes go in.
      this.stick = this.stick && !this.caughtUp ? true : this.nearEnd()
      this.frame = requestAnimationFrame(() => this.afterFrame())
    }
    this.last = ev.id
    this.applied.push(ev.id)
    this.log.dataset.lastEventId = String(ev.id)
    try {
      // Same guard for both: an event that could not be drawn does not move the turn bar either.
      this.items.render(ev)
      this.follow(ev)
    } catch (e) {
      // One odd event must not stop the stream.
      console.error('agentmux: could not render event', ev.id, e)
    }
    if (!this.empty.hidden && this.caughtUp) this.empty.hidden = true
  }

  private nearEnd(): boolean {
    const doc = document.scrollingElement ?? document.documentElement
    return doc.scrollHeight - (doc.scrollTop + window.innerHeight) < 160
  }

  private afterFrame(): void {
    this.frame = 0
    if (this.stick) this.scrollToEnd(false)
    else this.jump.hidden = false
  }

  private scrollToEnd(smooth: boolean): void {
    const doc = document.scrollingElement ?? document.documentElement
    window.scrollTo({ top: doc.scrollHeight, behavior: smooth ? 'smooth' : 'auto' })
    this.jump.hidden = true
    this.stick = true
  }

  onScroll(): void {
    if (!this.jump.hidden && this.nearEnd()) this.jump.hidden = true
    this.older.onScroll()
  }

  // ---------------------------------------------------------------- turn tracking

  /** The turn bar follows the log, so a replayed log ends with the same bar as a live one. */
  private follow(ev: LogEvent): void {
    if (ev.kind === 'turn.started') {
      this.turn = { id: ev.turnId, startedAt: ev.ts, status: 'running', durationMs: null, cancelling: false }
      this.paintBar()
    } else if (ev.kind === 'turn.ended') {
      if (!this.turn || this.turn.id === ev.turnId) {
        this.turn = { id: ev.turnId, startedAt: this.turn?.startedAt ?? ev.ts, status: endedStatus(ev), durationMs: num(ev.durationMs), cancelling: false }
      }
      this.paintBar()
    }
  }

  // ---------------------------------------------------------------- header, turn bar, cancel

  private paintHeader(): void {
    const s = this.hooks.store.get(this.sid)
    const title = s ? s.title || 'Untitled session' : this.hooks.store.loaded ? 'Session' : '…'
    text(this.titleEl, title)
    if (this.stream?.status !== 'stopped' && this.el?.isConnected) document.title = `${title} · agentmux`
  }

  private paintBar(): void {
    const t = this.turn
    let status: string
    let label: string
    if (!t) {
      const s = this.hooks.store.get(this.sid)
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
      label = t.cancelling ? `Cancelling… (running ${since})` : `Running ${since}`
    } else {
      status = t.status
      label = `Last turn ${STATUS_WORD[t.status].toLowerCase()}${t.durationMs !== null ? ` · ${duration(t.durationMs)}` : ''}`
    }
    if (this.bar.dataset.turnStatus !== status) this.bar.dataset.turnStatus = status
    text(this.barText, label)
    this.cancelBtn.hidden = status !== 'running' && status !== 'cancelling'
    this.cancelBtn.disabled = status === 'cancelling'
    text(this.cancelBtn, status === 'cancelling' ? 'Cancelling…' : 'Cancel')
  }

  private async cancel(): Promise<void> {
    const t = this.turn
    if (!t || t.status !== 'running' || t.cancelling) return
    t.cancelling = true
    this.paintBar()
    try {
      const r = await api.post<{ cancelled: boolean }>(`${sessionPath(this.sid)}/cancel`)
      if (!r.cancelled && this.turn === t && t.status === 'running') {
        // Nothing was running on the daemon's side: the turn is ending; its turn.ended is on the way.
        t.cancelling = false
      }
    } catch (e) {
      t.cancelling = false
      toast(`Could not cancel: ${e instanceof Error ? e.message : String(e)}`)
    }
    this.paintBar()
  }
}
