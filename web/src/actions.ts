/** Create, rename and delete sessions (dialogs). */
import { api, ApiError, sessionPath } from './api.js'
import { h } from './dom.js'
import type { SessionStore } from './sessions.js'
import { PERMISSION_MODES, type Session } from './types.js'
import { notifyMenuEntry } from './push.js'
import { field, openDialog, toast } from './ui.js'

export function newSessionDialog(store: SessionStore, onCreated: (s: Session) => void): void {
  const title = h('input', { class: 'input', name: 'title', maxlength: 200, autocomplete: 'off', placeholder: 'From the first prompt' })
  const cwd = h('input', { class: 'input', name: 'cwd', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'A new folder' })
  const model = h('input', { class: 'input', name: 'model', list: 'am-models', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'Default' })
  const models = h('datalist', { id: 'am-models' }, ...['sonnet', 'opus', 'haiku'].map((m) => h('option', { value: m })))
  const mode = h('select', { class: 'input', name: 'permissionMode' }, h('option', { value: '' }, 'Default'), ...PERMISSION_MODES.map((m) => h('option', { value: m }, m)))
  const tools = h('input', { class: 'input', name: 'allowedTools', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'e.g. Bash Read Edit' })
  openDialog({
    title: 'New session',
    testId: 'new-session',
    submit: 'Create',
    body: [
      field('Title', title),
      field('Working directory', cwd, 'Absolute path on the daemon’s machine; empty for a fresh folder.'),
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
      store.put(s)
      onCreated(s)
    },
  })
}

export function actionsDialog(store: SessionStore, id: string, onDeleted: (id: string) => void): void {
  const s = store.get(id)
  if (!s) return
  const rename = h('button', { type: 'button', class: 'btn btn-block' }, 'Rename')
  const del = h('button', { type: 'button', class: 'btn btn-block btn-danger-quiet' }, 'Delete…')
  const info = h('p', { class: 'dialog-info' }, `${s.cwd}${s.model ? ` · ${s.model}` : ''}${s.permissionMode ? ` · ${s.permissionMode}` : ''}`)
  const d = openDialog({ title: s.title || 'Untitled session', testId: 'session-actions', body: [info, rename, del, notifyMenuEntry()], submit: 'Close', onSubmit() {} })
  d.dialog.querySelector('.dialog-buttons .btn:not([type=submit])')?.remove()
  rename.addEventListener('click', () => {
    d.close()
    renameDialog(store, id)
  })
  del.addEventListener('click', () => {
    d.close()
    deleteDialog(store, id, onDeleted)
  })
}

export function renameDialog(store: SessionStore, id: string): void {
  const s = store.get(id)
  const input = h('input', { class: 'input', name: 'title', maxlength: 200, autocomplete: 'off', value: s?.title ?? '' })
  openDialog({
    title: 'Rename session',
    testId: 'rename',
    submit: 'Save',
    body: [field('Title', input)],
    async onSubmit() {
      const updated = await api.patch<Session>(sessionPath(id), { title: input.value.trim() })
      store.put(updated)
    },
  })
  input.select()
}

export function deleteDialog(store: SessionStore, id: string, onDeleted: (id: string) => void): void {
  const s = store.get(id)
  openDialog({
    title: 'Delete session?',
    testId: 'confirm-delete',
    submit: 'Delete',
    danger: true,
    body: [
      h(
        'p',
        null,
        `“${s?.title || 'Untitled session'}” and its whole history will be deleted.${s?.status === 'running' ? ' Its running turn is cancelled first.' : ''} This cannot be undone.`
      ),
    ],
    async onSubmit() {
      try {
        await api.del(sessionPath(id))
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e
      }
      onDeleted(id)
      store.remove(id)
      toast('Session deleted', 'info')
    },
  })
}
