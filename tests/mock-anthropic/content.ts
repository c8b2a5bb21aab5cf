// Canned reply content and delta splitting for the mock Messages API.

export const MARKDOWN_REPLY = [
  '# Mock heading',
  '',
  'Some **bold** and `inline code` text.',
  '',
  '- first item',
  '- second item',
  '  - nested item',
  '',
  '| name | value |',
  '| ---- | ----: |',
  '| alpha | 1 |',
  '| beta | 2 |',
  '',
  '```ts',
  'const answer: number = 42;',
  'console.log(`answer=${answer}`);',
  '```',
].join('\n')

export const HTML_PAYLOAD =
  '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'

/** Split into deltas of about `size` chars, breaking only after whitespace (so words and paths stay whole). */
export function wordChunks(text: string, size = 16): string[] {
  const out: string[] = []
  let cur = ''
  for (const tok of text.split(/(?<=\s)/)) {
    if (cur.length > 0 && cur.length + tok.length > size) {
      out.push(cur)
      cur = ''
    }
    cur += tok
  }
  if (cur.length > 0 || out.length === 0) out.push(cur)
  return out
}

export function chunk(text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out.length > 0 ? out : ['']
}

export function longFiller(kib: number): string {
  const target = kib * 1024
  let s = ''
  let n = 0
  while (s.length < target) {
    n++
    s += `LONG ${String(n).padStart(6, '0')}: the quick brown fox jumps over the lazy dog 0123456789\n`
  }
  return s.slice(0, target)
}
