/**
 * Finding one's way in a long session: a bar with find-in-session and jumps between prompts
 * (↑ ↓ go through the matches, or through the prompts when the search is empty), and collapsing
 * of old turns to their prompt and ending line.
 */
import { setFolded } from './clip.js'
import { h, text } from './dom.js'

const COLLAPSE_KEEP = 1

export class SessionNav {
  readonly bar: HTMLElement
  private readonly input: HTMLInputElement
  private readonly countEl: HTMLElement
  private hits: HTMLElement[] = []
  private at = -1
  private query = ''

  constructor(private readonly log: HTMLElement) {
    this.input = h('input', {
      class: 'input find-input',
      type: 'search',
      name: 'find',
      placeholder: 'Find in session',
      'aria-label': 'Find in session',
      autocomplete: 'off',
      enterkeyhint: 'search',
    })
    this.countEl = h('span', { class: 'find-count', 'aria-live': 'polite' })
    const prev = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn nav-prev',
        'aria-label': 'Previous (match or prompt)',
        onClick: () => this.step(-1),
      },
      '↑'
    )
    const next = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn nav-next',
        'aria-label': 'Next (match or prompt)',
        onClick: () => this.step(1),
      },
      '↓'
    )
    const close = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'aria-label': 'Close find',
        onClick: () => this.close(),
      },
      '×'
    )
    this.bar = h(
      'div',
      { class: 'findbar', role: 'search', hidden: true },
      this.input,
      this.countEl,
      prev,
      next,
      close
    )
    this.input.addEventListener('input', () => this.search(this.input.value))
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault()
        this.step(e.shiftKey ? -1 : 1)
      } else if (e.key === 'Escape') this.close()
    })
  }

  open(): void {
    this.bar.hidden = false
    this.input.focus()
  }

  close(): void {
    this.bar.hidden = true
    this.search('')
    this.input.value = ''
  }

  search(q: string): void {
    this.query = q.trim().toLowerCase()
    for (const el of this.hits) el.classList.remove('hit', 'hit-current')
    this.hits = []
    this.at = -1
    if (this.query) {
      const items = this.log.querySelectorAll<HTMLElement>('.item, .assistant.streaming')
      this.hits = Array.from(items).filter(
        (el) => !el.hidden && (el.textContent ?? '').toLowerCase().includes(this.query)
      )
      for (const el of this.hits) el.classList.add('hit')
    }
    this.paintCount()
    if (this.hits.length) this.step(1)
  }

  /** Next or previous match, or prompt when nothing is searched. */
  step(dir: 1 | -1): void {
    if (!this.query) return this.jumpPrompt(dir)
    if (!this.hits.length) return
    this.hits[this.at]?.classList.remove('hit-current')
    this.at = (this.at + dir + this.hits.length) % this.hits.length
    const el = this.hits[this.at]!
    el.classList.add('hit-current')
    reveal(el)
    el.scrollIntoView({ block: 'center' })
    this.paintCount()
  }

  /** The prompt above (or below) the one nearest the top of the screen. */
  jumpPrompt(dir: 1 | -1): void {
    const prompts = Array.from(this.log.querySelectorAll<HTMLElement>('.item.user'))
    if (!prompts.length) return
    // Just under the sticky header (taller while the find bar is open).
    const top = (document.querySelector('header.top')?.getBoundingClientRect().bottom ?? 0) + 8
    const ys = prompts.map((p) => p.getBoundingClientRect().top)
    let target: HTMLElement | undefined
    if (dir < 0) {
      for (let i = prompts.length - 1; i >= 0 && !target; i--)
        if (ys[i]! < top - 4) target = prompts[i]
    } else target = prompts.find((_, i) => ys[i]! > top + 4)
    target ??= dir < 0 ? prompts[0] : prompts[prompts.length - 1]
    reveal(target!)
    const doc = document.scrollingElement ?? document.documentElement
    window.scrollTo({ top: doc.scrollTop + target!.getBoundingClientRect().top - top })
  }

  private paintCount(): void {
    text(
      this.countEl,
      this.query ? (this.hits.length ? `${this.at + 1} of ${this.hits.length}` : 'none') : ''
    )
  }
}

/** Open everything that hides `el`: a collapsed turn, closed details, a folded output. */
function reveal(el: HTMLElement): void {
  const turn = el.closest<HTMLElement>('.turn')
  if (turn?.dataset.collapsed === 'true') setCollapsed(turn, false)
  for (let p: HTMLElement | null = el; p; p = p.parentElement) {
    if (p instanceof HTMLDetailsElement && p !== el) p.open = true
    if (p.classList.contains('folded')) setFolded(p, false)
  }
  for (const f of Array.from(el.querySelectorAll<HTMLElement>('.folded'))) setFolded(f, false)
  if (el instanceof HTMLDetailsElement) el.open = true
}

/** A collapsed turn shows its prompt and its ending; a tap on the bar opens it again. */
export function setCollapsed(turn: HTMLElement, on: boolean): void {
  turn.dataset.collapsed = on ? 'true' : 'false'
  let bar = turn.querySelector<HTMLButtonElement>(':scope > .turn-toggle')
  if (!bar) {
    bar = h('button', {
      type: 'button',
      class: 'turn-toggle',
      onClick: () => setCollapsed(turn, turn.dataset.collapsed !== 'true'),
    })
    turn.querySelector(':scope > .item.user')?.after(bar)
  }
  const hidden = turn.querySelectorAll(
    ':scope > .item:not(.user):not(.ended), :scope > .assistant'
  ).length
  bar.textContent = on ? `Show this turn (${hidden} more)` : 'Hide this turn'
  bar.setAttribute('aria-expanded', on ? 'false' : 'true')
}

/** Collapse every ended turn but the last few. Returns how many were collapsed. */
export function collapseOld(log: HTMLElement): number {
  const ended = Array.from(log.querySelectorAll<HTMLElement>(':scope > .turn[data-ended]'))
  const old = ended.slice(0, Math.max(0, ended.length - COLLAPSE_KEEP))
  for (const t of old) setCollapsed(t, true)
  return old.length
}
