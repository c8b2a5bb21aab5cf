/**
 * The connection state, from the streams' real state: a dot in the header (its word next to it on
 * wide screens), and a banner row under the header whenever it is not live, so a narrow phone keeps
 * the whole width for the title.
 */
import { h, text } from './dom.js'
import type { LiveStream } from './stream.js'

export type ConnState = 'live' | 'connecting' | 'reconnecting' | 'offline' | 'restarting'

const LABEL: Record<ConnState, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  restarting: 'Daemon restarting…',
}

export class ConnPill {
  readonly el: HTMLElement
  readonly banner: HTMLElement
  private readonly label: HTMLElement
  private readonly bannerText: HTMLElement
  state: ConnState = 'connecting'

  constructor(private readonly streams: () => LiveStream[]) {
    this.label = h('span', { class: 'pill-label' }, LABEL.connecting)
    this.el = h(
      'span',
      { class: 'pill', role: 'status', 'data-conn': 'connecting' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      this.label
    )
    this.bannerText = h('span', null, LABEL.connecting)
    this.banner = h(
      'div',
      { class: 'conn-banner', 'data-conn': 'connecting', 'aria-hidden': 'true', hidden: true },
      this.bannerText
    )
  }

  update(): void {
    const all = this.streams().filter((s) => s.status !== 'stopped')
    const shown = all.map((s) => s.shown)
    let state: ConnState
    if (all.length > 0 && shown.every((s) => s === 'live')) state = 'live'
    else if (!navigator.onLine) state = 'offline'
    else if (all.some((s) => s.shutdownSeen)) state = 'restarting'
    else if (shown.every((s) => s === 'live' || s === 'connecting')) state = 'connecting'
    else state = 'reconnecting'

    let label = LABEL[state]
    if (state === 'reconnecting' || state === 'offline' || state === 'restarting') {
      const waits = all.filter((s) => s.status === 'waiting').map((s) => s.retryAt - Date.now())
      if (waits.length > 0 && state === 'reconnecting') {
        const secs = Math.ceil(Math.max(0, Math.min(...waits)) / 1000)
        if (secs >= 2) label = `Reconnecting in ${secs} s`
      }
    }
    this.state = state
    if (this.el.dataset.conn !== state) this.el.dataset.conn = state
    text(this.label, label)
    text(this.bannerText, label)
    if (this.banner.dataset.conn !== state) this.banner.dataset.conn = state
    // "Connecting" on the first load is not news; a lost connection is.
    this.banner.hidden =
      state === 'live' || (state === 'connecting' && !all.some((s) => s.everLive))
    const detail = all
      .map((s) => `${s.name}: ${s.status}${s.attempts ? ` (failed ${s.attempts}×)` : ''}`)
      .join(', ')
    if (this.el.title !== detail) this.el.title = detail
  }
}
