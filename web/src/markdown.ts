/**
 * Assistant text → safe DOM: marked (GFM) renders, DOMPurify sanitises. Raw HTML in a reply is
 * shown as text (the renderer escapes it), and DOMPurify strips anything that slips through.
 * Images are never loaded (no request may leave for another host): they become links.
 */
import { Marked, type Tokens } from 'marked'
import DOMPurify, { type Config } from 'dompurify'
import { copyButton } from './copy.js'

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!
  )

const marked = new Marked({
  gfm: true,
  // A single newline is a line break, as it was while the text streamed in (no reflow at the end).
  breaks: true,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text)
    },
    // Inputs are stripped by the sanitiser: a task list keeps its state as a symbol with a label.
    checkbox({ checked }: Tokens.Checkbox): string {
      return checked
        ? '<span class="task task-done" role="img" aria-label="done">☑</span> '
        : '<span class="task" role="img" aria-label="not done">☐</span> '
    },
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`
    },
  },
})

const purify = DOMPurify(window)
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer nofollow')
  }
})

const CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    'img',
    'style',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'iframe',
    'video',
    'audio',
    'source',
    'picture',
    'svg',
    'math',
  ],
  FORBID_ATTR: ['style', 'srcset', 'id'],
  RETURN_DOM_FRAGMENT: true,
}

export function renderMarkdown(src: string): DocumentFragment {
  let frag: DocumentFragment
  try {
    frag = purify.sanitize(marked.parse(src) as string, CONFIG)
  } catch {
    frag = document.createDocumentFragment()
    frag.append(src)
    return frag
  }
  // Only the classes this renderer writes survive; a reply cannot style itself.
  for (const el of Array.from(frag.querySelectorAll('[class]'))) {
    if (!/^task( task-done)?$/.test(el.getAttribute('class') ?? '')) el.removeAttribute('class')
  }
  // Wide things scroll inside themselves, never the page, and say so when they do.
  for (const t of Array.from(frag.querySelectorAll('table'))) {
    const wrap = document.createElement('div')
    wrap.className = 'table-wrap'
    wrap.tabIndex = 0
    wrap.setAttribute('role', 'region')
    wrap.setAttribute('aria-label', 'Table (scrolls sideways)')
    t.replaceWith(wrap)
    wrap.appendChild(t)
    const hint = document.createElement('div')
    hint.className = 'table-hint'
    hint.textContent = 'Swipe the table sideways to see all of it →'
    hint.hidden = true
    wrap.after(hint)
    requestAnimationFrame(() => {
      hint.hidden = wrap.scrollWidth <= wrap.clientWidth + 1
    })
  }
  for (const pre of Array.from(frag.querySelectorAll('pre'))) {
    const box = document.createElement('div')
    box.className = 'code-box'
    pre.replaceWith(box)
    box.append(
      pre,
      copyButton(() => pre.textContent ?? '', 'Copy code', 'Copy code')
    )
  }
  return frag
}
