import { Lexer, type Token } from 'marked'
import { safeText, type Style } from './style.js'

/**
 * Markdown for a terminal, one line at a time, so streamed text can be shown as soon as each line
 * is complete and a replay renders exactly as the live view did. Block structure (fences,
 * headings, lists, quotes, rules) is read per line with the fence state carried along; inline
 * marks come from marked's lexer.
 */
export interface MarkdownLines {
  /** Renders one complete source line (without its newline). */
  line(src: string): string
}

export function createMarkdownLines(style: Style): MarkdownLines {
  let fence: string | null = null
  return {
    line(raw: string): string {
      const src = safeText(raw)
      const open = /^\s*(```+|~~~+)/.exec(src)
      if (fence !== null) {
        if (open && open[1]!.startsWith(fence)) {
          fence = null
          return style.dim('  └──')
        }
        return `  ${style.dim('│')} ${style.cyan(src)}`
      }
      if (open) {
        fence = open[1]!
        const lang = src.trim().slice(open[1]!.length).trim()
        return style.dim(`  ┌──${lang ? ` ${lang}` : ''}`)
      }
      return block(src, style)
    },
  }
}

function block(src: string, style: Style): string {
  const heading = /^(#{1,6})\s+(.*)$/.exec(src)
  if (heading) return style.bold(style.underline(inline(heading[2]!, style)))
  if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(src)) return style.dim('─'.repeat(40))
  const quote = /^\s*>\s?(.*)$/.exec(src)
  if (quote) return `${style.dim('▎')} ${style.italic(inline(quote[1]!, style))}`
  const bullet = /^(\s*)[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$/.exec(src)
  if (bullet) {
    const box = bullet[2] === undefined ? '•' : bullet[2] === ' ' ? '☐' : '☑'
    return `${bullet[1]}${box} ${inline(bullet[3]!, style)}`
  }
  const numbered = /^(\s*)(\d+[.)])\s+(.*)$/.exec(src)
  if (numbered) return `${numbered[1]}${numbered[2]} ${inline(numbered[3]!, style)}`
  if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(src))
    return style.dim(src.replace(/-/g, '─'))
  return inline(src, style)
}

/** Inline marks: bold, italics, code, links, strike-through; anything else as its source text. */
export function inline(src: string, style: Style): string {
  let tokens: Token[]
  try {
    tokens = Lexer.lexInline(src)
  } catch {
    return src
  }
  return tokens.map((t) => token(t, style)).join('')
}

function token(t: Token, style: Style): string {
  const inner = () =>
    'tokens' in t && Array.isArray(t.tokens) ? t.tokens.map((x) => token(x, style)).join('') : t.raw
  switch (t.type) {
    case 'strong':
      return style.bold(inner())
    case 'em':
      return style.italic(inner())
    case 'del':
      return style.dim(inner())
    case 'codespan':
      return style.cyan(unescape(t.text as string))
    case 'link':
      return `${style.underline(inner())}${t.href && t.href !== t.text ? style.dim(` (${t.href})`) : ''}`
    case 'text':
    case 'escape':
      return unescape(t.text as string)
    default:
      return t.raw
  }
}

// The lexer keeps entities as written; a terminal shows characters.
const unescape = (s: string) =>
  s.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? _
  )
