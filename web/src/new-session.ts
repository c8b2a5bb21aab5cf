/** The new-session form: a folder picker over the allowed roots, recent folders, modes in words. */
import { api } from './api.js'
import { daemonConfig } from './config.js'
import { h } from './dom.js'
import { MODE_LABEL, modeChoices } from './modes.js'
import { dirPicker, recentFolders, rememberFolder } from './picker.js'
import type { SessionStore } from './sessions.js'
import type { Session } from './types.js'
import { field, openDialog } from './ui.js'

const input = (name: string, placeholder: string, extra: Record<string, string | number> = {}) =>
  h('input', {
    class: 'input',
    name,
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    placeholder,
    ...extra,
  })

export function newSessionDialog(store: SessionStore, onCreated: (s: Session) => void): void {
  const title = input('title', 'From the first prompt', { maxlength: 200 })
  const cwd = input('cwd', 'A new folder')
  const model = input('model', 'Default', { list: 'am-models' })
  const models = h(
    'datalist',
    { id: 'am-models' },
    ...['sonnet', 'opus', 'haiku'].map((m) => h('option', { value: m }))
  )
  const mode = h(
    'select',
    { class: 'input', name: 'permissionMode' },
    h('option', { value: '' }, 'Default (the daemon’s setting)')
  )
  const tools = input('allowedTools', 'e.g. Bash Read Edit')
  const picker = dirPicker((p) => {
    cwd.value = p
  })
  const browse = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      onClick: () => picker.open(cwd.value.trim() || undefined),
    },
    'Browse…'
  )
  const recent = h('div', { class: 'chips', 'aria-label': 'Recent folders' })
  for (const p of recentFolders([...store.map.values()].map((s) => s.cwd))) {
    recent.append(
      h(
        'button',
        { type: 'button', class: 'chip', title: p, onClick: () => (cwd.value = p) },
        p.split('/').filter(Boolean).pop() ?? p
      )
    )
  }
  const cwdHint = h('span', { class: 'field-hint' }, 'Empty: a fresh folder for this session.')
  void daemonConfig().then((c) => {
    mode.append(
      ...modeChoices(c.bypassPermissionsAvailable).map((m) =>
        h('option', { value: m }, MODE_LABEL[m])
      )
    )
    if (c.allowedRoots.length)
      cwdHint.textContent = `Empty: a fresh folder. Otherwise inside ${c.allowedRoots.join(', ')}.`
  })
  openDialog({
    title: 'New session',
    testId: 'new-session',
    submit: 'Create',
    // Opening the form must not raise the phone keyboard over it.
    noAutofocus: true,
    body: [
      field('Title', title),
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Working directory'),
        h('div', { class: 'row' }, cwd, browse),
        recent,
        cwdHint,
        picker.el
      ),
      field('Model', model),
      models,
      field('Permission mode', mode),
      field('Allowed tools', tools, 'Separated by spaces or commas.'),
    ],
    async onSubmit() {
      const body: Record<string, unknown> = {}
      if (title.value.trim()) body.title = title.value.trim()
      if (cwd.value.trim()) body.cwd = cwd.value.trim()
      if (model.value.trim()) body.model = model.value.trim()
      if (mode.value) body.permissionMode = mode.value
      const t = tools.value.split(/[\s,]+/).filter(Boolean)
      if (t.length) body.allowedTools = t
      const s = await api.post<Session>('/sessions', body)
      if (body.cwd) rememberFolder(s.cwd)
      store.put(s)
      onCreated(s)
    },
  })
}
