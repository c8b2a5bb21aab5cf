/**
 * Long things (tool output) start folded to a few lines, with one tap to see all. The whole text
 * stays in the DOM (CSS clips it), so find-in-session searches what is there, not what is shown.
 */
import { h } from './dom.js'

export const FOLD_LINES = 20

export function foldedPre(text: string, cls = ''): HTMLElement {
  const pre = h('pre', { class: cls || null }, text)
  const lines = text.split('\n').length
  if (lines <= FOLD_LINES + 4) return pre
  const more = h(
    'button',
    { type: 'button', class: 'btn btn-small fold-btn', 'aria-expanded': 'false' },
    `Show all ${lines} lines`
  )
  const box = h('div', { class: 'folded', 'data-folded': 'true' }, pre, more)
  more.addEventListener('click', () => setFolded(box, box.dataset.folded !== 'true'))
  return box
}

export function setFolded(box: HTMLElement, folded: boolean): void {
  const more = box.querySelector<HTMLButtonElement>(':scope > .fold-btn')
  if (!more) return
  const lines = (box.querySelector('pre')?.textContent ?? '').split('\n').length
  box.dataset.folded = folded ? 'true' : 'false'
  more.setAttribute('aria-expanded', folded ? 'false' : 'true')
  more.textContent = folded ? `Show all ${lines} lines` : 'Show less'
}
