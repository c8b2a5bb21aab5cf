/**
 * The prompt box. A prompt is never lost: it stays in the box (and in localStorage) until the
 * daemon answered 202. Each prompt gets one clientTurnId, kept with the draft and reused on every
 * retry, so a retry after a blip returns the first turn instead of starting a second one.
 */
import { api, ApiError, sessionPath } from './api.js'
import { ImagePicker } from './attach.js'
import { Retrier, type AttemptResult } from './backoff.js'
import { h, randomId } from './dom.js'
import { SlashMenu } from './slash.js'

interface Draft {
  text: string
  /** The clientTurnId of `sentText`; a changed text gets a new one. */
  cid: string | null
  sentText: string | null
  /** Send was pressed and the daemon has not accepted it yet: keep trying. */
  pending: boolean
}

const key = (sid: string) => `agentmux:draft:${sid}`

function load(sid: string): Draft {
  try {
    const d = JSON.parse(localStorage.getItem(key(sid)) ?? 'null') as Partial<Draft> | null
    if (d && typeof d.text === 'string') {
      return {
        text: d.text,
        cid: typeof d.cid === 'string' ? d.cid : null,
        sentText: typeof d.sentText === 'string' ? d.sentText : null,
        pending: d.pending === true,
      }
    }
  } catch {
    // a broken entry is an empty draft
  }
  return { text: '', cid: null, sentText: null, pending: false }
}

export class Composer {
  readonly el: HTMLFormElement
  readonly ta: HTMLTextAreaElement
  readonly slash: SlashMenu
  private readonly sendBtn: HTMLButtonElement
  private readonly editBtn: HTMLButtonElement
  private readonly note: HTMLElement
  private readonly picker: ImagePicker
  private draft: Draft
  private readonly retrier: Retrier
  private destroyed = false
  /** The box had the focus when Send was touched: it keeps it. */
  private typing = false

  constructor(
    private readonly sid: string,
    private readonly onSent: () => void = () => {}
  ) {
    this.draft = load(sid)
    this.ta = h('textarea', {
      class: 'prompt',
      name: 'prompt',
      rows: 2,
      placeholder: 'Message claude…',
      'aria-label': 'Prompt',
      autocomplete: 'off',
      enterkeyhint: 'enter',
    })
    this.ta.value = this.draft.text
    this.sendBtn = h('button', { type: 'submit', class: 'btn btn-primary send' }, 'Send')
    this.editBtn = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'Edit')
    this.note = h('div', { class: 'cnote', 'aria-live': 'polite' })
    this.slash = new SlashMenu(this.ta, () => this.onInput())
    this.picker = new ImagePicker((msg) => this.say(msg, 'warn'))
    this.el = h(
      'form',
      { class: 'composer', novalidate: true },
      this.slash.el,
      this.picker.chips,
      h('div', { class: 'crow' }, this.picker.button, this.ta, this.sendBtn),
      h('div', { class: 'cnote-row' }, this.note, this.editBtn)
    )
    this.retrier = new Retrier(() => this.attempt())

    this.ta.addEventListener('input', () => this.onInput())
    this.ta.addEventListener('keydown', (e) => {
      if (this.slash.key(e)) return
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault()
        this.send()
      }
    })
    // Tapping Send must not take the focus from the box: the phone keyboard would close after every message.
    const keepFocus = (e: Event) => {
      this.typing = document.activeElement === this.ta
      if (this.typing) e.preventDefault()
    }
    this.sendBtn.addEventListener('pointerdown', keepFocus)
    this.sendBtn.addEventListener('mousedown', keepFocus)
    this.el.addEventListener('submit', (e) => {
      e.preventDefault()
      if (this.draft.pending) this.nudge()
      else this.send()
    })
    this.editBtn.addEventListener('click', () => {
      this.draft.pending = false
      this.save()
      this.retrier.stop()
      this.say('Not sent. Edit it, then Send.')
      this.paint()
      this.ta.focus()
    })
    this.paint()
    queueMicrotask(() => this.autosize())
    // A prompt whose send was not confirmed before the page went away is sent now (same clientTurnId).
    if (this.draft.pending) this.retrier.start()
  }

  destroy(): void {
    this.destroyed = true
    this.retrier.stop()
  }

  /** The connection came back (stream caught up, or `online`): try a pending send now. */
  nudge(): void {
    if (this.draft.pending && !this.destroyed) this.retrier.nudge()
  }

  get pending(): boolean {
    return this.draft.pending
  }

  /**
   * One-tap resend of an earlier prompt. Through the box when it is free, so the prompt gets the
   * same never-lost path; otherwise straight to the daemon, and a failure says so.
   */
  resend(prompt: string): void {
    if (!this.draft.pending && !this.ta.value.trim()) {
      this.ta.value = prompt
      this.send()
      return
    }
    api
      .post(
        `${sessionPath(this.sid)}/turns`,
        { prompt, clientTurnId: randomId('web-') },
        { timeoutMs: 20_000 }
      )
      .then(
        () => this.onSent(),
        (e: unknown) =>
          this.say(`Not sent again: ${e instanceof Error ? e.message : String(e)}`, 'error')
      )
  }

  send(): void {
    const text = this.ta.value
    if (!text.trim() || this.retrier.busy) return
    if (this.draft.cid === null || this.draft.sentText !== text) {
      this.draft.cid = randomId('web-')
      this.draft.sentText = text
    }
    this.draft.text = text
    this.draft.pending = true
    this.save()
    this.slash.close()
    if (this.typing && document.activeElement !== this.ta) this.ta.focus({ preventScroll: true })
    this.typing = false
    this.onSent()
    this.retrier.start()
  }

  private onInput(): void {
    this.draft.text = this.ta.value
    this.save()
    this.autosize()
    this.slash.update()
  }

  private async attempt(): Promise<AttemptResult> {
    if (
      this.destroyed ||
      !this.draft.pending ||
      this.draft.cid === null ||
      this.draft.sentText === null
    )
      return 'done'
    this.paint(true)
    this.say('Sending…')
    try {
      const attachments = this.picker.payload
      const body = {
        prompt: this.draft.sentText,
        clientTurnId: this.draft.cid,
        ...(attachments.length > 0 ? { attachments } : {}),
      }
      await api.post(`${sessionPath(this.sid)}/turns`, body, { timeoutMs: 60_000 })
      this.picker.clear()
      // Accepted (or accepted before, under the same clientTurnId): only now does the box empty.
      this.draft = { text: '', cid: null, sentText: null, pending: false }
      this.ta.value = ''
      localStorage.removeItem(key(this.sid))
      this.say('')
      this.autosize()
      return 'done'
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e))
      if (err.transient) {
        this.say(
          err.status === 503
            ? 'Not sent yet: the daemon is restarting. Retrying…'
            : navigator.onLine
              ? `Not sent yet: ${err.message}. Retrying…`
              : 'Not sent yet: offline. It will be sent when the connection is back.',
          'warn'
        )
        return 'retry'
      }
      this.draft.pending = false
      this.save()
      if (err.code === 'turn_in_progress')
        this.say(
          'A turn is still running. Wait for it to end, or cancel it, then Send again.',
          'warn'
        )
      else if (err.auth)
        this.say('Not sent: you are logged out. It stays here; log in and send again.', 'error')
      else this.say(`Not sent: ${err.message}`, 'error')
      return 'done'
    } finally {
      this.paint(false)
    }
  }

  private save(): void {
    try {
      if (!this.draft.text && !this.draft.pending) localStorage.removeItem(key(this.sid))
      else localStorage.setItem(key(this.sid), JSON.stringify(this.draft))
    } catch {
      // storage full or disabled: the box still holds the text
    }
  }

  private say(msg: string, kind: 'info' | 'warn' | 'error' = 'info'): void {
    this.note.textContent = msg
    this.note.dataset.kind = kind
  }

  private paint(inflight = this.retrier.busy): void {
    const waiting = this.draft.pending
    this.ta.readOnly = waiting
    this.el.dataset.state = inflight ? 'sending' : waiting ? 'pending' : 'idle'
    this.sendBtn.textContent = inflight ? 'Sending…' : waiting ? 'Retry' : 'Send'
    this.sendBtn.disabled = inflight
    this.editBtn.hidden = !waiting || inflight
  }

  private autosize(): void {
    const ta = this.ta
    let rows = 2
    ta.rows = rows
    while (rows < 8 && ta.scrollHeight > ta.clientHeight + 1) ta.rows = ++rows
  }
}
