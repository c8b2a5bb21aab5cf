/** Copy buttons (code blocks, whole messages). A phone on the LAN is no secure context, so no Clipboard API there. */
import { h } from './dom.js'

function fallbackCopy(text: string): boolean {
  const ta = h('textarea', {
    class: 'offscreen',
    readonly: true,
    'aria-hidden': 'true',
    tabindex: -1,
  })
  ta.value = text
  document.body.appendChild(ta)
  ta.select()
  try {
    return document.execCommand('copy')
  } catch {
    return false
  } finally {
    ta.remove()
  }
}

export async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text)
      return true
    } catch {
      // permission refused: try the old way
    }
  }
  return fallbackCopy(text)
}

export function copyButton(text: () => string, label: string, shown = 'Copy'): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'copy-btn', 'aria-label': label }, shown)
  btn.addEventListener('click', async (e) => {
    e.preventDefault()
    e.stopPropagation()
    const ok = await copyText(text())
    btn.textContent = ok ? 'Copied' : 'Copy failed'
    btn.dataset.copied = ok ? 'true' : 'false'
    setTimeout(() => {
      btn.textContent = shown
      delete btn.dataset.copied
    }, 1500)
  })
  return btn
}
