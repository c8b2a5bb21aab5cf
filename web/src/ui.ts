/** Toasts and modal dialogs (native <dialog>: focus trap, Escape and backdrop for free). */
import { h } from './dom.js'

let toastBox: HTMLElement | null = null

export function toast(message: string, kind: 'error' | 'info' = 'error'): void {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'alert' })
    document.body.appendChild(toastBox)
  }
  const t = h('div', { class: `toast toast-${kind}` }, message)
  toastBox.appendChild(t)
  setTimeout(() => t.remove(), kind === 'error' ? 6000 : 3000)
}

export interface DialogHandle {
  dialog: HTMLDialogElement
  close(): void
  error(msg: string): void
  busy(on: boolean): void
}

/**
 * A modal with a form. `onSubmit` may throw (or reject) to keep the dialog open with its message.
 */
export function openDialog(opts: {
  title: string
  body: (Node | string)[]
  submit: string
  danger?: boolean
  cancel?: string
  onSubmit: (form: HTMLFormElement) => Promise<void> | void
  testId?: string
  /** Focus the heading, not the first field: a form should not open with the keyboard over it. */
  noAutofocus?: boolean
}): DialogHandle {
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const submit = h(
    'button',
    { type: 'submit', class: opts.danger ? 'btn btn-danger' : 'btn btn-primary' },
    opts.submit
  )
  const cancel = h('button', { type: 'button', class: 'btn' }, opts.cancel ?? 'Cancel')
  const form = h(
    'form',
    { class: 'dialog-form', method: 'dialog', novalidate: true },
    h('h2', opts.noAutofocus ? { tabindex: -1, autofocus: true } : null, opts.title),
    ...opts.body,
    err,
    h('div', { class: 'dialog-buttons' }, cancel, submit)
  )
  const dialog = h('dialog', { class: 'dialog', 'data-testid': opts.testId ?? null }, form)
  document.body.appendChild(dialog)
  const handle: DialogHandle = {
    dialog,
    close() {
      if (dialog.open) dialog.close()
      dialog.remove()
    },
    error(msg) {
      err.textContent = msg
      err.hidden = !msg
    },
    busy(on) {
      submit.disabled = on
    },
  }
  cancel.addEventListener('click', () => handle.close())
  dialog.addEventListener('close', () => dialog.remove())
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) handle.close()
  })
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    handle.error('')
    handle.busy(true)
    try {
      await opts.onSubmit(form)
      handle.close()
    } catch (ex) {
      handle.error(ex instanceof Error ? ex.message : String(ex))
    } finally {
      handle.busy(false)
    }
  })
  dialog.showModal()
  return handle
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    input,
    hint ? h('span', { class: 'field-hint' }, hint) : null
  )
}
