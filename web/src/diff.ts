/**
 * A diff view for file edits (Edit, MultiEdit, Write), shared by the tool cards and the approval
 * cards: what the change does, as removed and added lines, instead of the tool's JSON input.
 */
import { h } from './dom.js'

type Op = { op: ' ' | '-' | '+'; line: string }

const MAX_LINES = 400
/** Above this many line pairs the exact LCS costs too much on a phone: show old then new. */
const MAX_LCS_CELLS = 250_000

const asStr = (v: unknown): string => (typeof v === 'string' ? v : '')

/** Line diff by longest common subsequence (small inputs), else all removed then all added. */
const lines = (s: string): string[] => (s === '' ? [] : s.replace(/\n$/, '').split('\n'))

export function lineDiff(before: string, after: string): Op[] {
  const a = lines(before)
  const b = lines(after)
  if (a.length * b.length > MAX_LCS_CELLS)
    return [
      ...a.map((line) => ({ op: '-' as const, line })),
      ...b.map((line) => ({ op: '+' as const, line })),
    ]
  const w = b.length + 1
  const lcs = new Uint32Array((a.length + 1) * w)
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * w + j + 1]! + 1
          : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!)
    }
  }
  const out: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! })
      i++
      j++
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) out.push({ op: '-', line: a[i++]! })
    else out.push({ op: '+', line: b[j++]! })
  }
  while (i < a.length) out.push({ op: '-', line: a[i++]! })
  while (j < b.length) out.push({ op: '+', line: b[j++]! })
  return out
}

function hunk(ops: Op[]): HTMLElement {
  const pre = h('pre', { class: 'diff-body' })
  for (const o of ops.slice(0, MAX_LINES)) {
    pre.append(
      h(
        'span',
        { class: `dl ${o.op === '-' ? 'del' : o.op === '+' ? 'add' : 'ctx'}` },
        `${o.op} ${o.line}`
      ),
      '\n'
    )
  }
  if (ops.length > MAX_LINES)
    pre.append(h('span', { class: 'dl ctx' }, `… ${ops.length - MAX_LINES} more lines`))
  return pre
}

function stats(ops: Op[]): string {
  const add = ops.filter((o) => o.op === '+').length
  const del = ops.filter((o) => o.op === '-').length
  return `+${add} −${del}`
}

/** The diff of an Edit/MultiEdit/Write input, or null for any other tool (or a malformed input). */
export function diffView(tool: string, input: unknown): HTMLElement | null {
  if (typeof input !== 'object' || input === null) return null
  const o = input as Record<string, unknown>
  const file = asStr(o.file_path) || asStr(o.path)
  let hunks: Op[][]
  if (tool === 'Edit') hunks = [lineDiff(asStr(o.old_string), asStr(o.new_string))]
  else if (tool === 'MultiEdit' && Array.isArray(o.edits)) {
    hunks = o.edits.map((e) => {
      const x = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>
      return lineDiff(asStr(x.old_string), asStr(x.new_string))
    })
  } else if (tool === 'Write' && typeof o.content === 'string') hunks = [lineDiff('', o.content)]
  else return null
  const all = hunks.flat()
  const label =
    tool === 'Write'
      ? 'new content'
      : o.replace_all === true
        ? 'every occurrence'
        : `${hunks.length} change${hunks.length === 1 ? '' : 's'}`
  return h(
    'div',
    { class: 'diff', 'data-tool': tool },
    h(
      'div',
      { class: 'diff-head' },
      h('span', { class: 'diff-file' }, file || '(no file)'),
      h('span', { class: 'diff-stat' }, `${stats(all)} · ${label}`)
    ),
    ...hunks.map(hunk)
  )
}
