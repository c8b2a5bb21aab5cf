/**
 * Assistant text → safe DOM: marked (GFM) renders, DOMPurify sanitises. Raw HTML in a reply is
 * shown as text (the renderer escapes it), and DOMPurify strips anything that slips through.
 * Images are never loaded (no request may leave for another host): they become links.
 */
import { Marked, type Tokens } from 'marked'
import DOMPurify, { type Config } from 'dompurify'

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text)
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
  FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'video', 'audio', 'source', 'picture', 'svg', 'math'],
  FORBID_ATTR: ['style', 'srcset', 'class', 'id'],
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
  // Wide things scroll inside themselves, never the page.
  for (const t of Array.from(frag.querySelectorAll('table'))) {
    const wrap = document.createElement('div')
    wrap.className = 'table-wrap'
    t.replaceWith(wrap)
    wrap.appendChild(t)
  }
  return frag
}
