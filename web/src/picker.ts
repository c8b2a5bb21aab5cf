/** The working-directory picker: browse the daemon's allowed roots (GET /fs/dirs), one folder at a time. */
import { api, ApiError } from './api.js'
import { append, h } from './dom.js'

interface Listing {
  path: string | null
  parent: string | null
  dirs: { name: string; path: string }[]
  roots: string[]
  truncated: boolean
}

export function dirPicker(onPick: (path: string) => void): {
  el: HTMLElement
  open(start?: string): void
} {
  const here = h('div', { class: 'picker-path', 'aria-live': 'polite' })
  const list = h('ul', { class: 'picker-list', 'aria-label': 'Folders' })
  const up = h('button', { type: 'button', class: 'btn btn-small' }, '↑ Up')
  const use = h('button', { type: 'button', class: 'btn btn-small btn-primary' }, 'Use this folder')
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const el = h(
    'div',
    { class: 'picker', 'data-testid': 'dir-picker', hidden: true },
    h('div', { class: 'picker-bar' }, up, here, use),
    err,
    list
  )
  let current: Listing | null = null

  async function load(path?: string): Promise<void> {
    err.hidden = true
    try {
      current = await api.get<Listing>(`/fs/dirs${path ? `?path=${encodeURIComponent(path)}` : ''}`)
    } catch (e) {
      err.textContent = e instanceof ApiError ? e.message : String(e)
      err.hidden = false
      // A remembered folder that is gone or outside the roots: start from the roots instead.
      if (path) return load()
      return
    }
    const c = current
    here.textContent = c.path ?? 'Allowed folders'
    up.disabled = c.path === null
    use.hidden = c.path === null
    list.replaceChildren()
    append(
      list,
      ...c.dirs.map((d) =>
        h(
          'li',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'picker-dir',
              'data-path': d.path,
              onClick: () => void load(d.path),
            },
            `📁 ${d.name}`
          )
        )
      ),
      c.dirs.length === 0 ? h('li', { class: 'picker-empty' }, 'No folders inside.') : null,
      c.truncated ? h('li', { class: 'picker-empty' }, 'Only the first 500 are shown.') : null
    )
  }

  up.addEventListener('click', () => void load(current?.parent ?? undefined))
  use.addEventListener('click', () => {
    if (current?.path) onPick(current.path)
    el.hidden = true
  })
  return {
    el,
    open(start) {
      el.hidden = false
      void load(start)
    },
  }
}

const RECENT_KEY = 'agentmux:recent-cwds'

export function recentFolders(extra: string[]): string[] {
  let mine: string[] = []
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown
    if (Array.isArray(v)) mine = v.filter((x): x is string => typeof x === 'string')
  } catch {
    // a broken entry is no history
  }
  // A session's own fresh folder (<data dir>/workspaces/<id>) is nobody's project.
  const others = extra.filter((p) => !/\/workspaces\/ses_[^/]+$/.test(p))
  return [...new Set([...mine, ...others])].slice(0, 6)
}

export function rememberFolder(path: string): void {
  try {
    localStorage.setItem(
      RECENT_KEY,
      JSON.stringify([path, ...recentFolders([]).filter((p) => p !== path)].slice(0, 6))
    )
  } catch {
    // storage full: no history
  }
}
