/**
 * One session's conversation, built incrementally from its event stream: each event appends or
 * patches a few nodes (a text.delta appends to the open bubble), nothing is ever re-rendered whole.
 * Events are applied idempotently: an id at or below the last applied one is ignored.
 * This file is the view around the log (stream, cursor, scrolling, header, turn bar); how each
 * event kind becomes DOM is render.ts.
 */
import { api, ApiError, sessionPath } from './api.js'
import { Approvals } from './approval.js'
import { Composer } from './composer.js'
import { h, text } from './dom.js'
import { OlderTurns, TURNS_PER_PAGE } from './history.js'
import { LogRenderer } from './render.js'
import { modeShort } from './modes.js'
import { collapseOld, SessionNav } from './nav.js'
import { QueueView } from './queue.js'
import type { SessionStore } from './sessions.js'
import { LiveStream } from './stream.js'
import { testHooks } from './test-hooks.js'
import { TurnBar } from './turnbar.js'
import type { LogEvent } from './types.js'
import type { MenuEntry } from './actions.js'
import { toast } from './ui.js'
import { WorkingLine } from './working.js'

export interface ChatHooks {
  store: SessionStore
  onChange(): void
  /** The session does not exist (any more). */
  onGone(id: string): void
  openActions(id: string, extra: MenuEntry[]): void
  header: (title: HTMLElement, actions: HTMLElement) => HTMLElement
}

export class ChatView {
  readonly el: HTMLElement
  readonly stream: LiveStream
  readonly composer: Composer
  /** The id of the last event applied; the stream reopens with ?after= this. */
  last = 0
  caughtUp = false
  private readonly log: HTMLElement
  private readonly titleEl: HTMLElement
  private readonly metaEl: HTMLElement
  private readonly bar: TurnBar
  private readonly jump: HTMLButtonElement
  private readonly empty: HTMLElement
  private readonly items: LogRenderer
  private readonly working = new WorkingLine()
  private readonly nav: SessionNav
  private readonly approvals: Approvals
  private readonly queue: QueueView
  private applied = 0
  private readonly older: OlderTurns
  private stick = true
  private frame = 0
  private readonly unsub: () => void

  constructor(
    readonly sid: string,
    private readonly hooks: ChatHooks
  ) {
    this.titleEl = h('h1', { class: 'title' })
    // Shown, and changed through ⋯ → "Model, mode and tools…".
    this.metaEl = h('div', { class: 'meta-row', 'data-testid': 'session-meta' })
    const more = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'aria-label': 'Session actions',
        onClick: () => hooks.openActions(sid, this.menu()),
      },
      '⋯'
    )
    this.log = h('div', {
      class: 'log',
      role: 'log',
      'aria-label': 'Conversation',
      'data-session-id': sid,
    })
    const pin = h('div', { class: 'pin', 'aria-label': 'Waiting for your answer', hidden: true })
    this.approvals = new Approvals(sid, pin)
    this.queue = new QueueView(sid)
    this.items = new LogRenderer(this.log, this.parts())
    this.nav = new SessionNav(this.log)
    // Older turns are drawn by renderers of their own, with the same cards and resend.
    this.older = new OlderTurns(
      sid,
      this.log,
      toast,
      (holder) => new LogRenderer(holder, this.parts())
    )
    this.empty = h('p', { class: 'empty' }, 'Loading the conversation…')
    this.jump = h(
      'button',
      { type: 'button', class: 'jump', hidden: true, onClick: () => this.scrollToEnd(true) },
      '↓ Latest'
    )
    this.bar = new TurnBar(sid, hooks.store, () => hooks.onChange())
    this.composer = new Composer(sid, () => this.scrollToEnd(false))
    const header = hooks.header(h('div', { class: 'title-box' }, this.titleEl, this.metaEl), more)
    header.append(this.nav.bar)
    this.el = h(
      'section',
      { class: 'view chat', 'data-view': 'chat' },
      header,
      h(
        'main',
        { class: 'main' },
        this.older.button,
        this.empty,
        this.log,
        this.working.el,
        this.queue.el
      ),
      h('footer', { class: 'dock' }, this.jump, pin, this.bar.el, this.composer.el)
    )
    this.unsub = hooks.store.subscribe((id) => {
      if (id === sid || id === null) this.paintHeader()
    })
    this.paintHeader()

    this.stream = new LiveStream('session', {
      // Catch-up mode, newest turns only: a phone back after an hour gets the latest state fast.
      // `visible=1`: no push for this session while someone is looking at it (src/notify/presence.ts).
      url: () =>
        `${sessionPath(sid)}/events?after=${this.last}&mode=catchup&turns=${TURNS_PER_PAGE}` +
        (document.visibilityState === 'visible' ? '&visible=1' : ''),
      onWindow: (d) => this.window(typeof d.after === 'number' ? d.after : 0),
      onMessage: (data) => this.receive(data),
      onCaughtUp: () => {
        this.caughtUp = true
        this.bar.caughtUp = true
        this.empty.hidden = this.applied > 0
        text(this.empty, 'No messages yet. Write the first prompt below.')
        this.log.dataset.caughtUp = 'true'
        this.bar.paint()
        this.composer.nudge()
        this.bar.nudge()
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
    this.bar.destroy()
    this.unsub()
    if (this.frame) cancelAnimationFrame(this.frame)
  }

  /** Called every second: elapsed times and countdowns. */
  tick(): void {
    this.bar.tick()
    this.items.tick()
    this.approvals.tick()
    this.working.paint()
  }

  private parts() {
    return {
      approvals: this.approvals,
      queue: this.queue,
      resend: (prompt: string) => this.composer.resend(prompt),
    }
  }

  private menu(): MenuEntry[] {
    return [
      { label: 'Find in session…', testId: 'find', run: () => this.nav.open() },
      {
        label: 'Collapse old turns',
        testId: 'collapse',
        run: () => toast(`${collapseOld(this.log)} turns collapsed. Tap one to open it.`, 'info'),
      },
      ...(this.queue.ids.length
        ? [{ label: 'Clear queue', testId: 'clear-queue', run: () => void this.queue.clear() }]
        : []),
    ]
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
    this.applied = 0
    testHooks.reset(this)
    this.items.reset()
    this.approvals.reset()
    this.queue.reset()
    this.working.reset()
    this.bar.reset()
    this.caughtUp = false
    this.stick = true
    this.stream.reopen()
  }

  /** The stream skips to the newest turns: start the log over from there; older turns load on scroll. */
  private window(after: number): void {
    if (after <= this.last) return
    this.items.reset()
    this.applied = 0
    testHooks.reset(this)
    this.approvals.reset()
    this.queue.reset()
    this.working.reset()
    this.bar.reset()
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
    this.applied++
    testHooks.applied(this, ev.id)
    this.log.dataset.lastEventId = String(ev.id)
    try {
      // Same guard for all: an event that could not be drawn does not move the turn bar either.
      // The renderer asks the queue before the queue forgets a removed turn (drawn as a removal).
      this.items.render(ev)
      this.queue.see(ev)
      this.bar.follow(ev)
      this.working.see(ev)
      if (ev.kind === 'agent.init') this.composer.slash.setCommands(ev.slashCommands ?? [])
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

  scrollToEnd(smooth: boolean): void {
    const doc = document.scrollingElement ?? document.documentElement
    window.scrollTo({ top: doc.scrollHeight, behavior: smooth ? 'smooth' : 'auto' })
    this.jump.hidden = true
    this.stick = true
  }

  onScroll(): void {
    if (!this.jump.hidden && this.nearEnd()) this.jump.hidden = true
    this.older.onScroll()
  }

  // ---------------------------------------------------------------- header

  private paintHeader(): void {
    const s = this.hooks.store.get(this.sid)
    const title = s ? s.title || 'Untitled session' : this.hooks.store.loaded ? 'Session' : '…'
    text(this.titleEl, title)
    if (s) {
      const tools = s.allowedTools.length ? s.allowedTools.join(', ') : 'default tools'
      const host = s.hostOnline ? `on ${s.host}` : `${s.host} is offline`
      text(
        this.metaEl,
        `${host} · ${s.model || 'default model'} · ${modeShort(s.permissionMode)} · ${tools}`
      )
      this.metaEl.dataset.hostOffline = s.hostOnline ? 'false' : 'true'
    }
    this.metaEl.hidden = !s
    if (this.stream?.status !== 'stopped' && this.el?.isConnected)
      document.title = `${title} · agentmux`
  }
}
