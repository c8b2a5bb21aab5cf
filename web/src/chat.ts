/**
 * One session's conversation, built incrementally from its event stream: each event appends or
 * patches a few nodes (a text.delta appends to the open bubble), nothing is ever re-rendered whole.
 * Events are applied idempotently: an id at or below the last applied one is ignored.
 */
import { api, ApiError, sessionPath } from './api.js'
import { Composer } from './composer.js'
import { bytes, clock, count, duration, elapsed, h, num, str, text, usd } from './dom.js'
import { renderMarkdown } from './markdown.js'
import type { SessionStore } from './sessions.js'
import { LiveStream } from './stream.js'
import type { LogEvent, TurnStatus } from './types.js'
import { toast } from './ui.js'

interface Bubble {
  el: HTMLElement
  body: Text
  turnId: string | null
  parent: string
}

interface ToolCard {
  el: HTMLDetailsElement
  state: HTMLElement
  body: HTMLElement
  turnId: string | null
  done: boolean
}

interface TurnInfo {
  id: string | null
  startedAt: string
  status: TurnStatus
  durationMs: number | null
  cancelling: boolean
}

const STATUS_WORD: Record<TurnStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
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
  private turnEl: HTMLElement | null = null
  private turnElId: string | null | undefined = undefined
  private readonly bubbles = new Map<string, Bubble>()
  private readonly tools = new Map<string, ToolCard>()
  private lastRetry: HTMLElement | null = null
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
      h('main', { class: 'main' }, this.empty, this.log, this.jump),
      h('footer', { class: 'dock' }, this.bar, this.composer.el)
    )
    this.unsub = hooks.store.subscribe((id) => {
      if (id === sid || id === null) this.paintHeader()
    })
    this.paintHeader()
    this.paintBar()

    this.stream = new LiveStream('session', {
      url: () => `${sessionPath(sid)}/events?after=${this.last}`,
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
    this.stream.start()
    this.stick = true
    this.paintHeader()
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
    this.applied.length = 0
    this.log.replaceChildren()
    this.bubbles.clear()
    this.tools.clear()
    this.turnEl = null
    this.turnElId = undefined
    this.lastRetry = null
    this.turn = null
    this.caughtUp = false
    this.stick = true
    this.paintBar()
    this.stream.reopen()
  }

  private receive(data: string): void {
    let ev: LogEvent
    try {
      ev = JSON.parse(data) as LogEvent
    } catch {
      return
    }
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
      this.render(ev)
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
  }

  // ---------------------------------------------------------------- rendering

  private container(ev: LogEvent): HTMLElement {
    if (!this.turnEl || this.turnElId !== ev.turnId) {
      this.turnEl = h('div', { class: 'turn', 'data-turn-id': ev.turnId ?? null })
      this.turnElId = ev.turnId
      this.log.appendChild(this.turnEl)
    }
    return this.turnEl
  }

  private item(ev: LogEvent, tag: 'div' | 'details', cls: string, ...children: (Node | string | null)[]): HTMLElement {
    const el = h(tag, { class: `item ${cls}`, 'data-event-id': ev.id, 'data-kind': ev.kind }, ...children)
    return el
  }

  private add(ev: LogEvent, el: HTMLElement): HTMLElement {
    this.container(ev).appendChild(el)
    return el
  }

  private render(ev: LogEvent): void {
    // A retry line stays visible only until something else happens in the turn.
    if (this.lastRetry && ev.kind !== 'agent.retry') {
      this.lastRetry.classList.add('settled')
      this.lastRetry = null
    }
    switch (ev.kind) {
      case 'turn.started':
        return this.turnStarted(ev)
      case 'agent.init':
        this.add(ev, this.item(ev, 'div', 'meta', `${str(ev.model)} · ${str(ev.permissionMode) || 'default'}`)).hidden = true
        return
      case 'text.delta':
        return this.delta(ev)
      case 'text':
        return this.finalText(ev)
      case 'thinking':
        this.add(ev, this.item(ev, 'details', 'thinking', h('summary', null, 'Thinking'), h('div', { class: 'thinking-text' }, str(ev.text))))
        return
      case 'tool.use':
        return this.toolUse(ev)
      case 'tool.result':
        return this.toolResult(ev)
      case 'tool.denied':
        return this.toolDenied(ev)
      case 'agent.retry': {
        const status = ev.status === null || ev.status === undefined ? '' : ` · ${str(ev.status)}`
        const wait = num(ev.delayMs) ? ` · next try in ${duration(num(ev.delayMs))}` : ''
        const el = this.add(ev, this.item(ev, 'div', 'notice retry', `↻ API error, retrying ${num(ev.attempt)}/${num(ev.maxRetries)}…${status}${wait}`))
        if (ev.error) el.title = str(ev.error)
        if (this.lastRetry) this.lastRetry.classList.add('settled', 'superseded')
        this.lastRetry = el
        return
      }
      case 'agent.notice':
        this.add(ev, this.item(ev, 'div', 'notice', `ℹ ${str(ev.message) || str(ev.subtype)}`))
        return
      case 'agent.raw':
        this.add(ev, this.item(ev, 'details', 'raw', h('summary', null, 'Unrecognised output'), h('pre', null, str(ev.line))))
        return
      case 'turn.result':
        return this.result(ev)
      case 'error':
        this.add(ev, this.item(ev, 'div', 'error', h('strong', null, ev.source === 'daemon' ? 'Daemon error' : 'Error'), h('div', { class: 'error-text' }, str(ev.message))))
        return
      case 'turn.ended':
        return this.turnEnded(ev)
      default:
        this.add(ev, this.item(ev, 'div', 'notice', `(${ev.kind})`))
    }
  }

  private turnStarted(ev: LogEvent): void {
    this.container(ev)
    this.add(
      ev,
      this.item(
        ev,
        'div',
        'user',
        h('div', { class: 'user-text' }, str(ev.prompt)),
        h('div', { class: 'stamp' }, clock(ev.ts))
      )
    )
    this.turn = { id: ev.turnId, startedAt: ev.ts, status: 'running', durationMs: null, cancelling: false }
    this.paintBar()
  }

  private bubbleKey(ev: LogEvent): string {
    return `${ev.turnId ?? ''}|${str(ev.parentToolUseId)}|${num(ev.index)}`
  }

  private delta(ev: LogEvent): void {
    const key = this.bubbleKey(ev)
    let b = this.bubbles.get(key)
    if (!b) {
      const body = document.createTextNode('')
      const el = h('div', { class: `assistant streaming${ev.parentToolUseId ? ' sub' : ''}`, 'data-delta-from': ev.id }, h('div', { class: 'stream-text' }, body))
      this.add(ev, el)
      b = { el, body, turnId: ev.turnId, parent: str(ev.parentToolUseId) }
      this.bubbles.set(key, b)
    }
    b.body.appendData(str(ev.text))
  }

  private finalText(ev: LogEvent): void {
    const body = h('div', { class: 'md' }, renderMarkdown(str(ev.text)))
    const el = this.item(ev, 'div', `assistant${ev.parentToolUseId ? ' sub' : ''}${ev.aborted ? ' aborted' : ''}`, body)
    if (ev.aborted) el.appendChild(h('div', { class: 'stamp' }, 'cut short'))
    // The final text replaces the oldest open bubble of the same turn and thread.
    const parent = str(ev.parentToolUseId)
    for (const [key, b] of this.bubbles) {
      if (b.turnId === ev.turnId && b.parent === parent) {
        this.bubbles.delete(key)
        b.el.replaceWith(el)
        return
      }
    }
    this.add(ev, el)
  }

  private toolCard(ev: LogEvent, name: string, summary: string): ToolCard {
    const state = h('span', { class: 'tool-state', 'aria-hidden': 'true' }, '')
    const body = h('div', { class: 'tool-body' })
    const el = this.item(
      ev,
      'details',
      `tool${ev.parentToolUseId ? ' sub' : ''}`,
      h('summary', null, state, h('span', { class: 'tool-name' }, name), h('span', { class: 'tool-sum' }, summary)),
      body
    ) as HTMLDetailsElement
    el.dataset.toolState = 'running'
    const card: ToolCard = { el, state, body, turnId: ev.turnId, done: false }
    this.tools.set(str(ev.toolUseId), card)
    this.add(ev, el)
    return card
  }

  private toolUse(ev: LogEvent): void {
    const card = this.toolCard(ev, str(ev.name) || 'tool', str(ev.summary))
    let input: string
    try {
      input = JSON.stringify(ev.input, null, 2) ?? ''
    } catch {
      input = String(ev.input)
    }
    card.body.appendChild(h('div', { class: 'tool-sec' }, h('div', { class: 'tool-label' }, 'Input'), h('pre', null, input)))
  }

  private toolResult(ev: LogEvent): void {
    const card = this.tools.get(str(ev.toolUseId)) ?? this.toolCard({ ...ev, kind: 'tool.use' }, 'tool', '')
    const isError = ev.isError === true
    const label = `${isError ? 'Error' : 'Result'} · ${bytes(num(ev.bytes))}${ev.truncated ? ' · truncated' : ''}`
    card.body.appendChild(
      h(
        'div',
        { class: `tool-sec tool-result${isError ? ' is-error' : ''}`, 'data-event-id': ev.id, 'data-kind': ev.kind },
        h('div', { class: 'tool-label' }, label),
        h('pre', null, str(ev.text) || '(no output)')
      )
    )
    if (card.el.dataset.toolState !== 'denied') card.el.dataset.toolState = isError ? 'error' : 'ok'
    card.done = true
  }

  private toolDenied(ev: LogEvent): void {
    const card = this.tools.get(str(ev.toolUseId)) ?? this.toolCard({ ...ev, kind: 'tool.use' }, str(ev.name) || 'tool', '')
    card.body.appendChild(
      h(
        'div',
        { class: 'tool-sec tool-denied', 'data-event-id': ev.id, 'data-kind': ev.kind },
        h('div', { class: 'tool-label' }, 'Denied'),
        h('div', null, str(ev.message) || 'permission denied')
      )
    )
    card.el.dataset.toolState = 'denied'
    card.el.querySelector('.tool-name')?.append(h('span', { class: 'tool-flag' }, ' denied'))
    card.done = true
  }

  private result(ev: LogEvent): void {
    const u = (ev.usage ?? {}) as Record<string, unknown>
    const tokensIn = num(u.inputTokens) + num(u.cacheReadInputTokens) + num(u.cacheCreationInputTokens)
    const parts = [usd(ev.costUsd), `${count(tokensIn)} in / ${count(u.outputTokens)} out`, duration(num(ev.durationMs))]
    if (num(ev.numTurns) > 1) parts.push(`${num(ev.numTurns)} steps`)
    const el = this.item(ev, 'div', `result${ev.isError ? ' is-error' : ''}`, parts.join(' · '))
    if (ev.isError) {
      const why = [str(ev.subtype), str(ev.terminalReason)].filter(Boolean).join(', ')
      el.prepend(h('div', { class: 'result-error' }, `Result: error${why ? ` (${why})` : ''}${ev.text ? ` — ${str(ev.text)}` : ''}`))
    }
    this.add(ev, el)
  }

  private turnEnded(ev: LogEvent): void {
    const status = (str(ev.status) || 'completed') as TurnStatus
    // Bubbles still open (cut off without a final text) are kept as plain text.
    for (const [key, b] of this.bubbles) {
      if (b.turnId === ev.turnId) {
        b.el.classList.remove('streaming')
        b.el.classList.add('aborted')
        this.bubbles.delete(key)
      }
    }
    for (const card of this.tools.values()) {
      if (card.turnId === ev.turnId && !card.done) {
        card.el.dataset.toolState = 'unfinished'
        card.done = true
      }
    }
    const extra = [ev.exitCode !== null && ev.exitCode !== undefined && ev.exitCode !== 0 ? `exit ${str(ev.exitCode)}` : '', ev.signal ? str(ev.signal) : '']
      .filter(Boolean)
      .join(', ')
    this.add(
      ev,
      this.item(ev, 'div', `ended status-${status}`, `${STATUS_WORD[status] ?? status} · ${duration(num(ev.durationMs))}${extra ? ` · ${extra}` : ''}`)
    )
    if (!this.turn || this.turn.id === ev.turnId) {
      this.turn = { id: ev.turnId, startedAt: this.turn?.startedAt ?? ev.ts, status, durationMs: num(ev.durationMs), cancelling: false }
    }
    this.paintBar()
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
