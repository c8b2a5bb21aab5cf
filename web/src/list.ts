/** The session list: rows keyed by id, patched in place as session.updated messages arrive. */
import { ago, elapsed, h, text, usd } from './dom.js'
import type { SessionStore } from './sessions.js'
import type { Session } from './types.js'

interface Row {
  li: HTMLElement
  title: HTMLElement
  badge: HTMLElement
  preview: HTMLElement
  meta: HTMLElement
}

export interface ListHooks {
  store: SessionStore
  openNew(): void
  openActions(id: string): void
  logout(): void
  header: (title: HTMLElement, actions: HTMLElement) => HTMLElement
}

export class ListView {
  readonly el: HTMLElement
  private readonly ul: HTMLElement
  private readonly empty: HTMLElement
  private readonly rows = new Map<string, Row>()
  private readonly unsub: () => void

  constructor(private readonly hooks: ListHooks) {
    const store = hooks.store
    this.ul = h('ul', { class: 'slist', 'aria-label': 'Sessions' })
    this.empty = h(
      'p',
      { class: 'empty', hidden: true },
      'No sessions yet. Start one with “New session”.'
    )
    const logout = h(
      'button',
      { type: 'button', class: 'btn btn-small btn-quiet', onClick: () => hooks.logout() },
      'Log out'
    )
    this.el = h(
      'section',
      { class: 'view list', 'data-view': 'list' },
      hooks.header(h('h1', { class: 'title brand' }, 'agentmux'), logout),
      h(
        'main',
        { class: 'main' },
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-primary btn-block new-session',
            onClick: () => hooks.openNew(),
          },
          '+ New session'
        ),
        this.ul,
        this.empty
      )
    )
    this.unsub = store.subscribe(() => this.sync())
    this.sync()
  }

  destroy(): void {
    this.unsub()
  }

  tick(): void {
    for (const s of this.hooks.store.map.values()) this.paint(s)
  }

  private sync(): void {
    document.title = 'agentmux'
    const list = this.hooks.store.sorted()
    const ids = new Set(list.map((s) => s.id))
    for (const [id, row] of this.rows) {
      if (!ids.has(id)) {
        row.li.remove()
        this.rows.delete(id)
      }
    }
    let prev: Element | null = null
    for (const s of list) {
      const row = this.rows.get(s.id) ?? this.create(s)
      this.paint(s)
      const want: Element | null = prev ? prev.nextElementSibling : this.ul.firstElementChild
      if (want !== row.li) this.ul.insertBefore(row.li, want)
      prev = row.li
    }
    this.empty.hidden = list.length > 0 || !this.hooks.store.loaded
  }

  private create(s: Session): Row {
    const title = h('span', { class: 'srow-title' })
    const badge = h('span', { class: 'badge' })
    const preview = h('span', { class: 'srow-preview' })
    const meta = h('span', { class: 'srow-meta' })
    const li = h(
      'li',
      { class: 'srow', 'data-session-id': s.id },
      h(
        'a',
        { class: 'srow-main', href: `#/s/${encodeURIComponent(s.id)}` },
        h('span', { class: 'srow-top' }, title, badge),
        preview,
        meta
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn',
          'aria-label': 'Actions',
          onClick: () => this.hooks.openActions(s.id),
        },
        '⋯'
      )
    )
    const row = { li, title, badge, preview, meta }
    this.rows.set(s.id, row)
    return row
  }

  private paint(s: Session): void {
    const row = this.rows.get(s.id)
    if (!row) return
    text(row.title, s.title || 'Untitled session')
    if (s.status === 'running') {
      const since = this.hooks.store.runningSince(s)
      text(row.badge, since ? `running ${elapsed(Date.now() - Date.parse(since))}` : 'running')
    } else text(row.badge, 'idle')
    // Waiting for an answer outranks everything else the row could say.
    const needs = s.pendingPermissions ?? 0
    if (needs > 0) text(row.badge, `needs you (${needs})`)
    row.li.dataset.needs = needs > 0 ? 'true' : 'false'
    if (row.li.dataset.status !== s.status) row.li.dataset.status = s.status
    text(row.preview, s.preview || s.cwd)
    const turns = `${s.turnCount} turn${s.turnCount === 1 ? '' : 's'}`
    const queued = s.queuedTurns
      ? ` · ${s.queuedTurns} queued${s.queuePaused ? ' (paused)' : ''}`
      : ''
    // The host names the machine the session runs on; offline, its turns cannot start.
    const host = s.hostOnline ? s.host : `${s.host} offline`
    row.li.dataset.hostOffline = s.hostOnline ? 'false' : 'true'
    text(row.meta, `${host} · ${ago(s.updatedAt)} · ${usd(s.costUsd)} · ${turns}${queued}`)
  }
}
