import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decisionForKey } from '../../src/cli/approvals.js'
import { answersFor } from '../../src/cli/commands/approve.js'
import { findTarget } from '../../src/cli/connect.js'
import { useColor, type CliIo } from '../../src/cli/io.js'
import { createEventRenderer } from '../../src/cli/render/events.js'
import { createMarkdownLines } from '../../src/cli/render/markdown.js'
import { createStyle, safeText } from '../../src/cli/render/style.js'
import { pickSession, type ClientSession } from '../../src/cli/sessions.js'
import { createSseParser, type SseFrame } from '../../src/cli/sse-parser.js'
import type { WireEvent } from '../../src/events/types.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const io = (env: Record<string, string>, isTTY = false): CliIo => ({
  stdin: process.stdin,
  stdout: { write: () => true, isTTY },
  stderr: { write: () => true },
  env,
  cwd: '/',
  home: '/nonexistent',
})

const plain = createStyle(false)
const ev = (id: number, kind: string, fields: Record<string, unknown> = {}): WireEvent => ({
  id,
  sessionId: 'ses_x',
  turnId: 'trn_x',
  kind,
  ts: '',
  ...fields,
})

describe('finding the daemon', () => {
  it('--url beats AGENTMUX_URL beats the address file; the token comes from the env or the token file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-cli-unit-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'address'), 'http://127.0.0.1:5555\n')
    writeFileSync(join(dir, 'token'), 'file-token-0123456789\n')
    const fromFile = findTarget(io({ AGENTMUX_DATA_DIR: dir }), undefined)
    expect([fromFile.url(), fromFile.token]).toEqual([
      'http://127.0.0.1:5555',
      'file-token-0123456789',
    ])
    // Re-read on every call: a restarted daemon's new port is picked up.
    writeFileSync(join(dir, 'address'), 'http://127.0.0.1:6666\n')
    expect(fromFile.url()).toBe('http://127.0.0.1:6666')
    const env = findTarget(
      io({
        AGENTMUX_DATA_DIR: dir,
        AGENTMUX_URL: 'http://h:1/',
        AGENTMUX_TOKEN: 'env-token-0123456789',
      }),
      undefined
    )
    expect([env.url(), env.token]).toEqual(['http://h:1', 'env-token-0123456789'])
    expect(
      findTarget(io({ AGENTMUX_DATA_DIR: dir, AGENTMUX_URL: 'http://h:1' }), 'http://flag:2').url()
    ).toBe('http://flag:2')
    expect(() => findTarget(io({ AGENTMUX_DATA_DIR: join(dir, 'none') }), undefined)).toThrow(
      /no token/
    )
  })
})

describe('naming sessions', () => {
  const s = (id: string, title: string) => ({ id, title }) as ClientSession
  const all = [s('ses_abc1', 'build'), s('ses_abd2', 'deploy'), s('ses_xyz3', 'build')]
  it('by id, unique prefix or exact title; ambiguity lists the candidates', () => {
    expect(pickSession(all, 'ses_abc1').id).toBe('ses_abc1')
    expect(pickSession(all, 'ses_abd').id).toBe('ses_abd2')
    expect(pickSession(all, 'deploy').id).toBe('ses_abd2')
    expect(() => pickSession(all, 'ses_ab')).toThrow(
      /matches 2 sessions[\s\S]*ses_abc1[\s\S]*ses_abd2/
    )
    expect(() => pickSession(all, 'build')).toThrow(/ses_abc1[\s\S]*ses_xyz3/)
    expect(() => pickSession(all, 'nothing')).toThrow(/no session matches/)
  })
})

describe('terminal output', () => {
  it('colour only on a TTY without NO_COLOR', () => {
    expect(useColor(io({}, true))).toBe(true)
    expect(useColor(io({ NO_COLOR: '1' }, true))).toBe(false)
    expect(useColor(io({}, false))).toBe(false)
  })

  it('neutralises terminal escapes in model and tool output', () => {
    expect(safeText('a\x1b]0;pwned\x07b\x9bc\td\n')).toBe('a^[]0;pwned^Gb\\x9bc\td\n')
  })

  it('renders markdown line by line, carrying the code fence', () => {
    const md = createMarkdownLines(plain)
    const lines = [
      '# Title',
      '- **bold** item',
      '1. `code` step',
      '```ts',
      '# not a heading',
      '```',
      '> quoted',
      'a [link](http://x.y)',
    ]
    expect(lines.map((l) => md.line(l))).toEqual([
      'Title',
      '• bold item',
      '1. code step',
      '  ┌── ts',
      '  │ # not a heading',
      '  └──',
      '▎ quoted',
      'a link (http://x.y)',
    ])
  })

  it('streamed deltas and the final text print the reply once, whole lines at a time', () => {
    let out = ''
    const r = createEventRenderer({ style: plain, write: (s) => (out += s) })
    r.render(ev(1, 'text.delta', { text: 'line one\nline ' }))
    expect(out).toBe('line one\n')
    r.render(ev(2, 'text.delta', { text: 'two' }))
    r.render(ev(3, 'text', { text: 'line one\nline two' }))
    r.render(ev(4, 'turn.ended', { status: 'completed', durationMs: 1200 }))
    expect(out).toBe('line one\nline two\n── completed in 1.2 s ──\n')
  })

  it('a replay without deltas prints the same as the live view', () => {
    let live = ''
    let replay = ''
    const a = createEventRenderer({ style: plain, write: (s) => (live += s) })
    const b = createEventRenderer({ style: plain, write: (s) => (replay += s) })
    for (const t of ['# He', 'ading\n- a', '\n- b']) a.render(ev(1, 'text.delta', { text: t }))
    a.render(ev(2, 'text', { text: '# Heading\n- a\n- b' }))
    b.render(ev(2, 'text', { text: '# Heading\n- a\n- b' }))
    expect(live).toBe(replay)
    expect(live).toBe('Heading\n• a\n• b\n')
  })
})

describe('the SSE parser', () => {
  it('handles frames cut anywhere, comments, CRLF and multi-line data', () => {
    const text =
      'retry: 1000\n\n: ping\nid: 7\ndata: {"a":\ndata: 1}\n\nevent: caught-up\r\ndata: {}\r\n\r\n'
    for (let cut = 0; cut < text.length; cut++) {
      const frames: SseFrame[] = []
      const p = createSseParser((f) => frames.push(f))
      p.feed(text.slice(0, cut))
      p.feed(text.slice(cut))
      expect(frames).toEqual([
        { event: 'message', id: '7', data: '{"a":\n1}' },
        { event: 'caught-up', id: null, data: '{}' },
      ])
    }
  })
})

describe('answers to a question', () => {
  const req = {
    requestId: 'req_1',
    turnId: 't',
    toolName: 'AskUserQuestion',
    summary: '',
    kind: 'question' as const,
    expiresAt: null,
    input: {
      questions: [
        { question: 'Which colour?', options: [{ label: 'red' }, { label: 'blue' }] },
        { question: 'Why?' },
      ],
    },
  }
  it('maps option numbers to labels and keeps free text', () => {
    expect(answersFor(req, ['2', 'because'])).toEqual({
      'Which colour?': 'blue',
      'Why?': 'because',
    })
    expect(() => answersFor(req, ['1'])).toThrow(/give 2 answer/)
    expect(answersFor(req, ['1,2', '7'])).toEqual({ 'Which colour?': ['red', 'blue'], 'Why?': '7' })
    expect(answersFor(req, ['9', 'x'])['Which colour?']).toBe('9')
  })

  it('one key answers a pending request on the attach screen', () => {
    expect(decisionForKey({ kind: 'tool' }, 'y')).toEqual({ decision: 'allow', scope: 'once' })
    expect(decisionForKey({ kind: 'tool' }, 's')).toEqual({ decision: 'allow', scope: 'session' })
    expect(decisionForKey({ kind: 'tool' }, 'n')).toBe('deny-with-message')
    expect(decisionForKey({ kind: 'plan' }, 's')).toBeNull()
    expect(
      decisionForKey({ kind: 'question', input: { questions: [req.input.questions[0]] } }, '2')
    ).toEqual({
      decision: 'allow',
      answers: { 'Which colour?': 'blue' },
    })
    expect(decisionForKey(req, '1')).toBeNull()
    expect(decisionForKey({ kind: 'tool' }, 'x')).toBeNull()
  })
})
