/** The ⋯ menu of a session, and its dialogs: settings, rename, delete. */
import { api, ApiError, sessionPath } from './api.js'
import { daemonConfig } from './config.js'
import { h } from './dom.js'
import { MODE_LABEL, modeChoices } from './modes.js'
import type { SessionStore } from './sessions.js'
import type { Session } from './types.js'
import { notifyMenuEntry } from './push.js'
import { field, openDialog, toast } from './ui.js'

export { newSessionDialog } from './new-session.js'

/** Entries only a view can offer (find, collapse…), listed above the common ones. */
export interface MenuEntry {
  label: string
  run(): void
  testId?: string
}

export function actionsDialog(
  store: SessionStore,
  id: string,
  onDeleted: (id: string) => void,
  extra: MenuEntry[] = []
): void {
  const s = store.get(id)
  if (!s) return
  const entry = (label: string, run: () => void, cls = '', testId?: string) =>
    h(
      'button',
      {
        type: 'button',
        class: `btn btn-block ${cls}`,
        'data-action': testId ?? null,
        onClick: () => (d.close(), run()),
      },
      label
    )
  const info = h('p', { class: 'dialog-info' }, s.cwd)
  const d = openDialog({
    title: s.title || 'Untitled session',
    testId: 'session-actions',
    noAutofocus: true,
    body: [
      info,
      ...extra.map((e) => entry(e.label, e.run, '', e.testId)),
      entry('Model, mode and tools…', () => settingsDialog(store, id), '', 'settings'),
      entry('Rename', () => renameDialog(store, id), '', 'rename'),
      entry('Delete…', () => deleteDialog(store, id, onDeleted), 'btn-danger-quiet', 'delete'),
      notifyMenuEntry(),
    ],
    submit: 'Close',
    onSubmit() {},
  })
  d.dialog.querySelector('.dialog-buttons .btn:not([type=submit])')?.remove()
}

/** PATCH /sessions/:id with model, permissionMode and allowedTools; they apply from the next turn. */
export function settingsDialog(store: SessionStore, id: string): void {
  const s = store.get(id)
  const model = h('input', {
    class: 'input',
    name: 'model',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    placeholder: 'Default',
    value: s?.model ?? '',
  })
  const mode = h(
    'select',
    { class: 'input', name: 'permissionMode' },
    h('option', { value: '' }, 'Default (the daemon’s setting)')
  )
  const tools = h('input', {
    class: 'input',
    name: 'allowedTools',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    value: (s?.allowedTools ?? []).join(' '),
  })
  void daemonConfig().then((c) => {
    const choices = modeChoices(c.bypassPermissionsAvailable)
    // The session's own mode stays selectable even where it could not be chosen anew.
    if (s?.permissionMode && !choices.includes(s.permissionMode)) choices.push(s.permissionMode)
    mode.append(
      ...choices.map((m) =>
        h('option', { value: m, selected: s?.permissionMode === m }, MODE_LABEL[m])
      )
    )
  })
  openDialog({
    title: 'Model, mode and tools',
    testId: 'settings',
    submit: 'Save',
    noAutofocus: true,
    body: [
      field('Model', model),
      field('Permission mode', mode),
      field(
        'Allowed tools',
        tools,
        'Separated by spaces or commas. They apply from the next prompt.'
      ),
    ],
    async onSubmit() {
      const body = {
        model: model.value.trim() || null,
        permissionMode: mode.value || null,
        allowedTools: tools.value.split(/[\s,]+/).filter(Boolean),
      }
      store.put(await api.patch<Session>(sessionPath(id), body))
    },
  })
}

export function renameDialog(store: SessionStore, id: string): void {
  const s = store.get(id)
  const input = h('input', {
    class: 'input',
    name: 'title',
    maxlength: 200,
    autocomplete: 'off',
    value: s?.title ?? '',
  })
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

export function deleteDialog(
  store: SessionStore,
  id: string,
  onDeleted: (id: string) => void
): void {
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
