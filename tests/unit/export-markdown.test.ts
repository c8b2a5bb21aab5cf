import { describe, expect, it } from 'vitest'
import type { WireEvent } from '../../src/events/types.js'
import { transcriptMarkdown } from '../../src/export/markdown.js'
import type { Session } from '../../src/sessions/types.js'

const session = {
  id: 'ses_0123456789abcdef',
  title: 'fences',
  cwd: '/w',
  model: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  turnCount: 1,
  costUsd: 0.5,
  inputTokens: 10,
  outputTokens: 20,
} as Session
const ev = (id: number, kind: string, f: Record<string, unknown>): WireEvent => ({
  id,
  sessionId: session.id,
  turnId: 't',
  kind,
  ts: 'T',
  ...f,
})

describe('the Markdown transcript', () => {
  it('keeps tool output inside its fence even when the output has backticks', () => {
    const md = transcriptMarkdown(session, [
      ev(1, 'turn.started', { prompt: 'line 1\n\nline 3' }),
      ev(2, 'text.delta', { text: 'ignored delta' }),
      ev(3, 'tool.use', {
        toolUseId: 'u1',
        name: 'Bash',
        input: { command: 'cat x' },
        summary: 'cat `x`',
      }),
      ev(4, 'tool.result', {
        toolUseId: 'u1',
        text: 'a\n```\nescaped?\n````',
        isError: true,
        truncated: false,
        bytes: 20,
      }),
      ev(5, 'turn.ended', { status: 'failed', durationMs: 1500 }),
    ])
    expect(md).toContain('> line 1\n>\n> line 3')
    expect(md).not.toContain('ignored delta')
    expect(md).toContain('**Tool: Bash** `` cat `x` ``')
    // A five-backtick fence around output whose longest run is four.
    expect(md).toContain('**Bash failed**:\n\n`````\na\n```\nescaped?\n````\n`````')
    expect(md).toContain('*Turn failed in 1.5 s.*')
  })
})
