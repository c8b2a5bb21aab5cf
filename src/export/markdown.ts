import type { WireEvent } from '../events/types.js'
import type { Session } from '../sessions/types.js'

/**
 * A session as a readable Markdown transcript: prompts, replies, thinking, tool calls with their
 * results, approvals, errors and costs, turn by turn. Built from the log alone (plus the session's
 * header fields), so it shows exactly what the log holds. Deltas are skipped: the finished `text`
 * events carry the same words.
 */
export function transcriptMarkdown(session: Session, events: WireEvent[]): string {
  const out: string[] = [header(session), '']
  let turn = 0
  const tools = new Map<string, string>()
  for (const e of events) {
    if (e.kind === 'turn.started') turn++
    const block = render(e, turn, tools)
    if (block !== null) out.push(block, '')
  }
  return `${out.join('\n').trimEnd()}\n`
}

function header(s: Session): string {
  return [
    `# ${oneLine(s.title) || 'Untitled session'}`,
    '',
    `- Session: \`${s.id}\``,
    `- Working directory: \`${s.cwd}\``,
    ...(s.model ? [`- Model: ${s.model}`] : []),
    `- Created: ${s.createdAt}`,
    `- Turns: ${s.turnCount} · cost $${s.costUsd.toFixed(4)} · ${s.inputTokens} input / ${s.outputTokens} output tokens`,
  ].join('\n')
}

function render(e: WireEvent, turn: number, tools: Map<string, string>): string | null {
  const f = e as Record<string, unknown>
  switch (e.kind) {
    case 'turn.started':
      return `---\n\n## Turn ${turn}\n\n*${e.ts}*\n\n**You:**\n\n${quote(String(f.prompt))}`
    case 'text':
      return `${String(f.text)}${f.aborted ? '\n\n*(cut short)*' : ''}`
    case 'thinking':
      return `<details><summary>Thinking</summary>\n\n${String(f.text)}\n\n</details>`
    case 'tool.use':
      tools.set(String(f.toolUseId), String(f.name))
      return `**Tool: ${String(f.name)}** ${code(String(f.summary ?? ''))}\n\n${fenced(JSON.stringify(f.input, null, 2), 'json')}`
    case 'tool.result': {
      const name = tools.get(String(f.toolUseId)) ?? 'tool'
      const note = f.truncated ? ` (first part of ${f.bytes} bytes)` : ''
      return `${f.isError ? `**${name} failed**` : `*${name} result*`}${note}:\n\n${fenced(String(f.text ?? ''), '')}`
    }
    case 'tool.denied':
      return `**Denied: ${String(f.name)}** ${String(f.message ?? '')}`
    case 'permission.requested':
      return `**Approval asked (${String(f.requestKind ?? 'tool')}): ${String(f.toolName)}** ${code(String(f.summary ?? ''))}`
    case 'permission.resolved': {
      const how =
        f.decision === 'allow'
          ? f.scope === 'session'
            ? 'allowed for the session'
            : 'allowed'
          : 'denied'
      const answers = f.answers
        ? `: ${Object.values(f.answers as Record<string, string>).join('; ')}`
        : ''
      return `*→ ${how} (by ${String(f.by)})${f.message ? `: ${String(f.message)}` : ''}${answers}*`
    }
    case 'turn.queued':
      return `*Queued (#${String(f.position)}):*\n\n${quote(String(f.prompt))}`
    case 'agent.retry':
      return `*API retry ${String(f.attempt)}/${String(f.maxRetries)}: ${oneLine(String(f.error ?? ''))}*`
    case 'error':
      return `**Error:** ${oneLine(String(f.message ?? ''))}`
    case 'turn.result': {
      const u = (f.usage ?? {}) as { inputTokens?: number; outputTokens?: number }
      return `*Cost $${Number(f.costUsd ?? 0).toFixed(4)} · ${u.inputTokens ?? 0} input / ${u.outputTokens ?? 0} output tokens · ${String(f.numTurns)} model call(s)*`
    }
    case 'turn.ended':
      return `*Turn ${String(f.status)}${typeof f.durationMs === 'number' ? ` in ${(f.durationMs / 1000).toFixed(1)} s` : ''}.*`
    default:
      return null
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim()
const quote = (s: string) =>
  s
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n')
/** Inline code that survives backticks inside. */
const code = (s: string) => {
  if (s === '') return ''
  const run = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length))
  const tick = '`'.repeat(run + 1)
  return `${tick}${run > 0 ? ' ' : ''}${oneLine(s)}${run > 0 ? ' ' : ''}${tick}`
}
/** A fence longer than any backtick run in the text, so tool output cannot close it. */
const fenced = (s: string, lang: string) => {
  const run = Math.max(2, ...(s.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(run + 1)
  return `${fence}${lang}\n${s.replace(/\n$/, '')}\n${fence}`
}
