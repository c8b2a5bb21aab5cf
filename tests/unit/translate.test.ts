import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { translateLine } from '../../src/claude/translate.js'
import { initialTranslatorState, type TranslatorState } from '../../src/claude/translator-state.js'
import type { NewEvent } from '../../src/events/types.js'

const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/transcripts')

/** Translates a transcript recorded from the real claude 2.1.330 (tests/fixtures/record-transcripts.ts). */
function translateFile(
  name: string,
  baseTotalCost = 0
): { events: NewEvent[]; state: TranslatorState } {
  let state = initialTranslatorState(baseTotalCost)
  const events: NewEvent[] = []
  for (const line of readFileSync(join(dir, `${name}.jsonl`), 'utf8').split('\n')) {
    const t = translateLine(line, state)
    state = t.state
    events.push(...t.events)
  }
  return { events, state }
}

const of = <K extends NewEvent['kind']>(events: NewEvent[], kind: K) =>
  events.filter((e): e is Extract<NewEvent, { kind: K }> => e.kind === kind)

describe('translator on recorded real-claude transcripts', () => {
  it('plain: init, deltas that add up to the final text, one result', () => {
    const { events, state } = translateFile('plain')
    expect(events[0]).toMatchObject({
      kind: 'agent.init',
      model: 'claude-opus-5-5',
      version: '2.1.330',
      cwd: '/CWD',
    })
    expect(of(events, 'agent.init')[0]!.tools).toContain('Bash')
    // The page suggests these on `/` (issue 12.19).
    expect(of(events, 'agent.init')[0]!.slashCommands).toContain('compact')
    const text = of(events, 'text')
    expect(text).toHaveLength(1)
    expect(text[0]!.text).toBe('ECHO: hello mock')
    expect(
      of(events, 'text.delta')
        .map((e) => e.text)
        .join('')
    ).toBe('ECHO: hello mock')
    const result = of(events, 'turn.result')
    expect(result).toHaveLength(1)
    expect(result[0]).toMatchObject({
      isError: false,
      subtype: 'success',
      terminalReason: 'completed',
      text: 'ECHO: hello mock',
      numTurns: 1,
    })
    expect(result[0]!.costUsd).toBe(result[0]!.totalCostUsd)
    expect(result[0]!.usage.inputTokens).toBeGreaterThan(0)
    expect(state).toMatchObject({ sawInit: true, sawResult: true, resultIsError: false })
    // The per-request "requesting" status lines are folded away, not logged.
    expect(events.some((e) => e.kind === 'agent.notice')).toBe(false)
    expect(events.some((e) => e.kind === 'agent.raw' || e.kind === 'error')).toBe(false)
  })

  it('resume: the turn cost is the difference of the cumulative totals', () => {
    const plain = translateFile('plain')
    const base = of(plain.events, 'turn.result')[0]!.totalCostUsd
    const { events } = translateFile('resume', base)
    const r = of(events, 'turn.result')[0]!
    expect(r.totalCostUsd).toBeGreaterThan(base)
    expect(r.costUsd).toBeCloseTo(r.totalCostUsd - base, 9)
    expect(of(events, 'text')[0]!.text).toContain('hello mock')
  })

  it('tool: tool.use with the command as summary, then its result, then the final text', () => {
    const { events } = translateFile('tool')
    const use = of(events, 'tool.use')[0]!
    expect(use).toMatchObject({ name: 'Bash', summary: 'echo hi' })
    expect((use.input as { command: string }).command).toBe('echo hi')
    const result = of(events, 'tool.result')[0]!
    expect(result).toMatchObject({
      toolUseId: use.toolUseId,
      isError: false,
      text: 'hi',
      truncated: false,
      bytes: 2,
    })
    expect(events.findIndex((e) => e === use)).toBeLessThan(events.findIndex((e) => e === result))
    expect(of(events, 'text').pop()!.text).toContain('TOOL RESULT: hi')
    expect(of(events, 'turn.result')[0]!.numTurns).toBe(2)
  })

  it('tool-denied: tool.denied, an error tool result, and no raw lines', () => {
    const { events } = translateFile('tool-denied')
    const denied = of(events, 'tool.denied')
    expect(denied.length).toBeGreaterThan(0)
    expect(denied[0]).toMatchObject({ name: 'Bash' })
    expect(denied[0]!.message.length).toBeGreaterThan(0)
    expect(of(events, 'tool.result').some((r) => r.isError)).toBe(true)
    expect(events.some((e) => e.kind === 'agent.raw')).toBe(false)
  })

  it('thinking: a thinking block before the text', () => {
    const { events } = translateFile('thinking')
    const thinking = of(events, 'thinking')
    expect(thinking).toHaveLength(1)
    expect(thinking[0]!.text.length).toBeGreaterThan(0)
    expect(events.indexOf(thinking[0]!)).toBeLessThan(events.indexOf(of(events, 'text')[0]!))
  })

  it('interrupt: the cut text is marked aborted, the interrupt shows as a notice, the result is an error', () => {
    const { events, state } = translateFile('interrupt')
    expect(of(events, 'text').some((t) => t.aborted === true)).toBe(true)
    expect(of(events, 'agent.notice').some((n) => n.subtype === 'interrupted')).toBe(true)
    expect(of(events, 'turn.result')[0]).toMatchObject({
      isError: true,
      subtype: 'error_during_execution',
      terminalReason: 'aborted_streaming',
    })
    expect(state.resultIsError).toBe(true)
  })

  it('interrupt during a tool: an error tool result and aborted_tools', () => {
    const { events } = translateFile('interrupt-during-tool')
    expect(of(events, 'tool.result').some((r) => r.isError)).toBe(true)
    expect(of(events, 'turn.result')[0]!.terminalReason).toBe('aborted_tools')
  })

  it('api-retry-recovers: one agent.retry per retry, then a normal turn', () => {
    const { events } = translateFile('api-retry-recovers')
    const retries = of(events, 'agent.retry')
    expect(retries.map((r) => r.attempt)).toEqual([1, 2])
    expect(retries[0]).toMatchObject({ status: 529, maxRetries: 10 })
    expect(retries[0]!.delayMs).toBeGreaterThan(0)
    expect(of(events, 'turn.result')[0]!.isError).toBe(false)
  })

  it('api-error: the synthetic API error message becomes an error event, not a reply', () => {
    const { events, state } = translateFile('api-error')
    const errors = of(events, 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain('API Error: 529')
    expect(of(events, 'text')).toHaveLength(0)
    expect(of(events, 'turn.result')[0]).toMatchObject({ isError: true })
    expect(state.reportedError).toBe(true)
  })

  it('long: a 300 KiB reply arrives whole', () => {
    const { events } = translateFile('long')
    expect(of(events, 'text')[0]!.text.length).toBeGreaterThan(300 * 1000)
  })
})

describe('translator on edge cases', () => {
  const s0 = initialTranslatorState(0)
  it('turns a line that is not JSON into an error event and keeps its state', () => {
    const t = translateLine('this is not json', s0)
    expect(t.events).toEqual([
      { kind: 'error', source: 'agent', message: expect.stringContaining('not JSON') },
    ])
    expect(t.state).toBe(s0)
    expect(translateLine('[1,2]', s0).events[0]!.kind).toBe('error')
    expect(translateLine('   ', s0).events).toEqual([])
  })

  it('keeps lines of unknown types as bounded agent.raw', () => {
    const big = JSON.stringify({ type: 'brand_new', payload: 'x'.repeat(10_000) })
    const [e] = translateLine(big, s0).events
    expect(e).toMatchObject({ kind: 'agent.raw', truncated: true })
    expect((e as { line: string }).line.length).toBe(4096)
  })

  it('drops the known noise, shows other system lines as notices', () => {
    for (const line of [
      { type: 'keep_alive' },
      { type: 'system', subtype: 'status', status: 'requesting' },
      { type: 'system', subtype: 'thinking_tokens', estimated_tokens: 5 },
      { type: 'control_response', response: {} },
      { type: 'stream_event', event: { type: 'message_start' } },
    ]) {
      expect(translateLine(JSON.stringify(line), s0).events, JSON.stringify(line)).toEqual([])
    }
    const compact = translateLine(
      JSON.stringify({
        type: 'system',
        subtype: 'compact_boundary',
        compact_metadata: { pre_tokens: 1234 },
      }),
      s0
    )
    expect(compact.events).toEqual([
      {
        kind: 'agent.notice',
        subtype: 'compact_boundary',
        message: 'Conversation compacted (1234 tokens before)',
      },
    ])
    const hook = translateLine(
      JSON.stringify({ type: 'system', subtype: 'hook_response', hook_name: 'x', stdout: 'ok' }),
      s0
    )
    expect(hook.events[0]).toMatchObject({ kind: 'agent.notice', subtype: 'hook_response' })
  })

  it('bounds tool results at 16 KiB and reports the full size', () => {
    const text = 'é'.repeat(20_000)
    const line = JSON.stringify({
      type: 'user',
      message: {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't1',
            content: [{ type: 'text', text }],
            is_error: false,
          },
        ],
      },
    })
    const [e] = translateLine(line, s0).events
    expect(e).toMatchObject({
      kind: 'tool.result',
      truncated: true,
      bytes: Buffer.byteLength(text),
    })
    expect((e as { text: string }).text.length).toBe(16 * 1024)
  })

  it('counts a cumulative total that went down as a new conversation', () => {
    const t = translateLine(
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0.01 }),
      initialTranslatorState(0.5)
    )
    expect(t.events[0]).toMatchObject({ kind: 'turn.result', costUsd: 0.01, totalCostUsd: 0.01 })
  })

  it('summarises common tools by what a person recognises', () => {
    const use = (name: string, input: unknown) =>
      translateLine(
        JSON.stringify({
          type: 'assistant',
          message: { content: [{ type: 'tool_use', id: 'x', name, input }] },
        }),
        s0
      ).events[0]
    expect(use('Read', { file_path: '/a/b.ts' })).toMatchObject({ summary: '/a/b.ts' })
    expect(use('Grep', { pattern: 'TODO', path: '.' })).toMatchObject({ summary: 'TODO' })
    expect(use('TodoWrite', { todos: [1, 2, 3] })).toMatchObject({ summary: '3 todos' })
    expect(use('Mystery', { a: 1, b: 'first string' })).toMatchObject({ summary: 'first string' })
  })
})
