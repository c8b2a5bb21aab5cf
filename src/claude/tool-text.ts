/** Turning tool inputs and results into short, bounded text for the log. */

export const TOOL_RESULT_MAX_CHARS = 16 * 1024
const SUMMARY_MAX_CHARS = 200

const SUMMARY_KEYS: Record<string, string[]> = {
  Bash: ['command'],
  Read: ['file_path'],
  Write: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  NotebookEdit: ['notebook_path'],
  Glob: ['pattern'],
  Grep: ['pattern'],
  WebFetch: ['url'],
  WebSearch: ['query'],
  Task: ['description'],
  Agent: ['description'],
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** The one line a person needs to recognise a tool call: the Bash command, the file path, the query. */
export function summarizeToolInput(name: string, input: unknown): string {
  if (input === null || typeof input !== 'object') return ''
  const record = input as Record<string, unknown>
  if (name === 'TodoWrite' && Array.isArray(record.todos)) return `${record.todos.length} todos`
  for (const key of SUMMARY_KEYS[name] ?? []) {
    const v = record[key]
    if (typeof v === 'string') return clip(v.replace(/\s+/g, ' ').trim(), SUMMARY_MAX_CHARS)
  }
  for (const v of Object.values(record)) {
    if (typeof v === 'string' && v.length > 0)
      return clip(v.replace(/\s+/g, ' ').trim(), SUMMARY_MAX_CHARS)
  }
  return ''
}

/** Flattens a tool_result's content (a string or content blocks) to text. */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content))
    return content === undefined || content === null ? '' : JSON.stringify(content)
  return content
    .map((block: unknown) => {
      if (block && typeof block === 'object') {
        const b = block as Record<string, unknown>
        if (b.type === 'text' && typeof b.text === 'string') return b.text
        if (typeof b.type === 'string') return `[${b.type}]`
      }
      return ''
    })
    .join('\n')
}

export function boundText(
  text: string,
  max = TOOL_RESULT_MAX_CHARS
): { text: string; truncated: boolean; bytes: number } {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (text.length <= max) return { text, truncated: false, bytes }
  return { text: text.slice(0, max), truncated: true, bytes }
}
