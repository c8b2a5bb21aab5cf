import type { WireEvent } from '../../events/types.js'
import { keyHint, requestOf } from '../approvals.js'
import { createMarkdownLines, type MarkdownLines } from './markdown.js'
import { safeText, type Style } from './style.js'

/**
 * Turns log events into terminal lines. Streamed text is shown a line at a time as its deltas
 * arrive (rendered as markdown); the finished `text` event then only adds what the deltas did
 * not carry, so a live view and a replay of the same events print the same thing.
 */
export interface EventRenderer {
  render(e: WireEvent): void
  /** Ends a half-printed line (before a status line, or at exit). */
  flush(): void
}

export interface RendererOptions {
  style: Style
  write(s: string): void
  /** Show the one-key answers under a pending approval (attach on a terminal). */
  approvalKeys?: boolean
}

const MAX_PROMPT_LINES = 6
const PREVIEW_CHARS = 100

export function createEventRenderer(opts: RendererOptions): EventRenderer {
  const { style: s, write } = opts
  let md: MarkdownLines = createMarkdownLines(s)
  /** Delta text of the current block, and how much of it is already printed as whole lines. */
  let streamed = ''
  let printed = 0

  const line = (text: string) => write(`${text}\n`)

  function printLines(upTo: number): void {
    const chunk = streamed.slice(printed, upTo)
    const parts = chunk.split('\n')
    parts.pop()
    for (const p of parts) line(md.line(p))
    printed += parts.reduce((n, p) => n + p.length + 1, 0)
  }

  function endBlock(): void {
    if (printed < streamed.length) line(md.line(streamed.slice(printed)))
    streamed = ''
    printed = 0
    md = createMarkdownLines(s)
  }

  function text(full: string, aborted: boolean): void {
    if (full.startsWith(streamed)) {
      streamed = full
    } else {
      endBlock()
      streamed = full
    }
    printLines(streamed.length)
    endBlock()
    if (aborted) line(s.dim('  (cut short)'))
  }

  const handlers: Record<string, (e: WireEvent) => void> = {
    'turn.started': (e) => {
      const prompt = safeText(String(e.prompt ?? '')).split('\n')
      const shown = prompt.slice(0, MAX_PROMPT_LINES)
      line('')
      line(`${s.bold(s.cyan('›'))} ${s.bold(shown[0] ?? '')}`)
      for (const l of shown.slice(1)) line(`  ${s.bold(l)}`)
      if (prompt.length > shown.length) line(s.dim(`  (+${prompt.length - shown.length} lines)`))
    },
    'text.delta': (e) => {
      streamed += String(e.text ?? '')
      printLines(streamed.length)
    },
    text: (e) => text(String(e.text ?? ''), e.aborted === true),
    thinking: (e) => {
      const t = safeText(String(e.text ?? ''))
        .replace(/\s+/g, ' ')
        .trim()
      line(s.dim(s.italic(`✻ ${preview(t)}`)))
    },
    'tool.use': (e) =>
      line(
        `${s.yellow('⏺')} ${s.bold(safeText(String(e.name)))} ${safeText(String(e.summary ?? ''))}`
      ),
    'tool.result': (e) => {
      const lines = safeText(String(e.text ?? ''))
        .split('\n')
        .filter((l) => l.trim() !== '')
      const more = lines.length > 1 ? s.dim(` (+${lines.length - 1} lines)`) : ''
      const first = preview(lines[0] ?? '(no output)')
      line(`  ${s.dim('⎿')} ${e.isError === true ? s.red(first) : s.dim(first)}${more}`)
    },
    'tool.denied': (e) =>
      line(s.red(`✗ ${safeText(String(e.name))} denied: ${safeText(String(e.message ?? ''))}`)),
    'agent.retry': (e) =>
      line(
        s.yellow(
          `↻ API retry ${e.attempt}/${e.maxRetries}${e.status ? ` (${e.status})` : ''}: ${safeText(String(e.error ?? ''))}`
        )
      ),
    'agent.notice': (e) => line(s.dim(`· ${safeText(String(e.message || e.subtype))}`)),
    'agent.raw': (e) => line(s.dim(`· ${preview(safeText(String(e.line ?? '')))}`)),
    'turn.result': (e) => line(s.dim(resultLine(e))),
    error: (e) => line(s.red(`✗ ${safeText(String(e.message ?? ''))}`)),
    'turn.ended': (e) => {
      const status = String(e.status)
      const paint = status === 'completed' ? s.green : status === 'cancelled' ? s.yellow : s.red
      line(
        paint(
          `── ${status}${typeof e.durationMs === 'number' ? ` in ${seconds(e.durationMs)}` : ''} ──`
        )
      )
    },
    'turn.queued': (e) =>
      line(s.dim(`⏳ queued #${e.position}: ${preview(safeText(String(e.prompt ?? '')))}`)),
    'turn.edited': (e) =>
      line(s.dim(`✎ queued prompt edited: ${preview(safeText(String(e.prompt ?? '')))}`)),
    'queue.paused': (e) =>
      line(
        s.yellow(
          `⏸ queue paused (the turn was ${e.reason}); \`agentmux resume\` runs it, a new prompt too`
        )
      ),
    'queue.resumed': () => line(s.dim('▶ queue resumed')),
    'permission.requested': (e) => {
      line(
        `${s.yellow(s.bold('?'))} ${s.bold(safeText(String(e.toolName ?? 'tool')))} ${s.yellow('asks:')} ${safeText(String(e.summary ?? ''))}`
      )
      if (opts.approvalKeys) line(s.dim(`  ${keyHint(requestOf(e))}   (${e.requestId})`))
      else line(s.dim(`  agentmux approve|deny ${e.sessionId} ${e.requestId}`))
    },
    'permission.resolved': (e) => {
      const ok = e.decision === 'allow'
      const how = ok
        ? e.scope === 'session'
          ? 'allowed for the session'
          : 'allowed once'
        : 'denied'
      const by = e.by && e.by !== 'user' ? ` (${e.by})` : ''
      line(`  ${ok ? s.green(`✓ ${how}`) : s.red(`✗ ${how}`)}${s.dim(by)}`)
    },
  }

  return {
    render(e) {
      if (e.kind !== 'text.delta' && e.kind !== 'text' && streamed !== '') endBlock()
      const h = handlers[e.kind]
      if (h) h(e)
      else if (e.kind !== 'agent.init') line(s.dim(`· ${safeText(e.kind)}`))
    },
    flush() {
      if (streamed !== '') endBlock()
    },
  }
}

const preview = (t: string) => (t.length > PREVIEW_CHARS ? `${t.slice(0, PREVIEW_CHARS - 1)}…` : t)
const seconds = (ms: number) =>
  ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`

function resultLine(e: WireEvent): string {
  const usage = (e.usage ?? {}) as { inputTokens?: number; outputTokens?: number }
  const parts = [`$${Number(e.costUsd ?? 0).toFixed(4)}`]
  if (usage.inputTokens !== undefined)
    parts.push(`${usage.inputTokens} in / ${usage.outputTokens ?? 0} out`)
  if (typeof e.durationMs === 'number') parts.push(seconds(e.durationMs))
  if (e.isError === true) parts.push(`error: ${safeText(String(e.subtype))}`)
  return `  ${parts.join(' · ')}`
}
