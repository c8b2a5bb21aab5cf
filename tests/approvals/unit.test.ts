import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createPermissionBroker } from '../../src/approvals/broker.js'
import {
  permissionRequestFromLine,
  permissionSummary,
  stampPermission,
} from '../../src/approvals/request.js'
import { DEFAULT_DENY_MESSAGE, userOutcome } from '../../src/approvals/response.js'
import { formatRule, rulesFromSuggestions } from '../../src/approvals/rules.js'
import type { Permission } from '../../src/approvals/types.js'
import { translateLine } from '../../src/claude/translate.js'
import { initialTranslatorState } from '../../src/claude/translator-state.js'
import { createEventLog } from '../../src/events/event-log.js'
import { createHub } from '../../src/events/hub.js'
import { createLogger } from '../../src/log.js'
import { openTestDatabase } from '../helpers/test-database.js'
import { createStore } from '../../src/storage/store.js'
import { retryDecision } from '../../src/turns/retry.js'
import { sessionRow } from '../helpers/session-row.js'

describe('summary of a request', () => {
  it('is the command, the path, the URL, the question or the plan', () => {
    expect(permissionSummary('Bash', { command: 'npm test', description: 'run' })).toBe('npm test')
    expect(permissionSummary('Write', { file_path: '/w/a.txt', content: 'x' })).toBe('/w/a.txt')
    expect(
      permissionSummary('Edit', { file_path: '/w/b.ts', old_string: 'a', new_string: 'b' })
    ).toBe('/w/b.ts')
    expect(permissionSummary('Read', { file_path: '/etc/hosts' })).toBe('/etc/hosts')
    expect(permissionSummary('WebFetch', { url: 'https://example.com/x', prompt: 'read it' })).toBe(
      'https://example.com/x'
    )
    const questions = [
      { question: 'Which color?', options: [] },
      { question: 'How big?', options: [] },
    ]
    expect(permissionSummary('AskUserQuestion', { questions })).toBe('Which color? / How big?')
    expect(permissionSummary('ExitPlanMode', { plan: '\n# Plan\n1. tests' })).toBe('# Plan')
    expect(permissionSummary('Bash', { command: 'x'.repeat(500) }).length).toBeLessThanOrEqual(200)
  })

  it("comes from claude's can_use_tool line; the kind picks the card; only tools expire", () => {
    const line = {
      type: 'control_request',
      request_id: 'r1',
      request: {
        subtype: 'can_use_tool',
        tool_name: 'AskUserQuestion',
        input: { questions: [{ question: 'Q?' }] },
        tool_use_id: 'tu1',
        requires_user_interaction: true,
      },
    }
    const t = translateLine(JSON.stringify(line), initialTranslatorState(0))
    expect(t.events).toEqual([
      {
        kind: 'permission.requested',
        requestId: 'r1',
        turnId: '',
        toolName: 'AskUserQuestion',
        toolUseId: 'tu1',
        input: line.request.input,
        summary: 'Q?',
        suggestions: [],
        expiresAt: null,
        requestKind: 'question',
      },
    ])
    const ev = permissionRequestFromLine({
      ...line,
      request: { ...line.request, tool_name: 'Bash', input: { command: 'ls' } },
    })!
    expect(ev.requestKind).toBe('tool')
    expect(stampPermission(ev, 'trn_1', Date.parse('2026-01-01T00:00:00Z'), 60_000)).toMatchObject({
      turnId: 'trn_1',
      expiresAt: '2026-01-01T00:01:00.000Z',
    })
    expect(
      stampPermission({ ...ev, requestKind: 'question' }, 'trn_1', 0, 60_000).expiresAt
    ).toBeNull()
    expect(stampPermission(ev, 'trn_1', 0, 0).expiresAt).toBeNull()
    expect(
      translateLine(
        JSON.stringify({
          type: 'control_request',
          request_id: 'x',
          request: { subtype: 'hook_callback' },
        }),
        initialTranslatorState(0)
      ).events[0]!.kind
    ).toBe('agent.raw')
  })

  it("takes the plan from the model's ExitPlanMode call when claude strips it from the request", () => {
    let state = initialTranslatorState(0)
    const assistant = {
      type: 'assistant',
      message: {
        content: [
          { type: 'tool_use', id: 'tu9', name: 'ExitPlanMode', input: { plan: '1. a\n2. b' } },
        ],
      },
    }
    state = translateLine(JSON.stringify(assistant), state).state
    const req = {
      type: 'control_request',
      request_id: 'r9',
      request: {
        subtype: 'can_use_tool',
        tool_name: 'ExitPlanMode',
        input: {},
        tool_use_id: 'tu9',
      },
    }
    const e = translateLine(JSON.stringify(req), state).events[0]!
    expect(e).toMatchObject({
      kind: 'permission.requested',
      requestKind: 'plan',
      input: { plan: '1. a\n2. b' },
      summary: '1. a',
    })
  })
})

describe('session rules from permission_suggestions', () => {
  it('uses addRules (Tool(content)), and the tool itself when claude only suggests a mode or directories', () => {
    const bash = [
      {
        type: 'addRules',
        rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
        behavior: 'allow',
        destination: 'localSettings',
      },
      { type: 'addDirectories', directories: ['/w'], destination: 'session' },
      { type: 'setMode', mode: 'acceptEdits', destination: 'session' },
    ]
    expect(rulesFromSuggestions('Bash', bash).map(formatRule)).toEqual(['Bash(npm test:*)'])
    expect(
      rulesFromSuggestions('Write', [
        { type: 'setMode', mode: 'acceptEdits', destination: 'session' },
      ]).map(formatRule)
    ).toEqual(['Write'])
    expect(rulesFromSuggestions('WebFetch', []).map(formatRule)).toEqual(['WebFetch'])
    const dup = [
      {
        type: 'addRules',
        rules: [
          { toolName: 'Bash', ruleContent: 'ls' },
          { toolName: 'Bash', ruleContent: 'ls' },
          { toolName: 'Read' },
        ],
      },
    ]
    expect(rulesFromSuggestions('Bash', dup).map(formatRule)).toEqual(['Bash(ls)', 'Read'])
    expect(
      rulesFromSuggestions('Bash', [
        { type: 'addRules', behavior: 'deny', rules: [{ toolName: 'Bash', ruleContent: 'rm' }] },
      ]).map(formatRule)
    ).toEqual(['Bash'])
  })
})

const pending = (over: Partial<Permission> = {}): Permission => ({
  requestId: 'r1',
  sessionId: 'ses_a',
  turnId: 'trn_a',
  kind: 'tool',
  toolName: 'Bash',
  toolUseId: 'tu1',
  input: { command: 'npm test' },
  summary: 'npm test',
  suggestions: [
    {
      type: 'addRules',
      rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
      behavior: 'allow',
      destination: 'localSettings',
    },
  ],
  expiresAt: null,
  createdAt: '',
  status: 'pending',
  decision: null,
  by: null,
  message: null,
  scope: null,
  answers: null,
  resolvedAt: null,
  ...over,
})
const sent = (line: string | null) => JSON.parse(line!).response.response

describe('what claude is told', () => {
  it('allow once, allow for the session (updatedPermissions, never into settings files), deny with a default message', () => {
    expect(sent(userOutcome(pending(), { decision: 'allow' }).response)).toEqual({
      behavior: 'allow',
      updatedInput: { command: 'npm test' },
    })
    const session = userOutcome(pending(), { decision: 'allow', scope: 'session' })
    expect(session.rules).toEqual(['Bash(npm test:*)'])
    expect(sent(session.response).updatedPermissions).toEqual([
      {
        type: 'addRules',
        rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
        behavior: 'allow',
        destination: 'session',
      },
    ])
    expect(sent(userOutcome(pending(), { decision: 'deny' }).response)).toEqual({
      behavior: 'deny',
      message: DEFAULT_DENY_MESSAGE,
    })
    expect(() =>
      userOutcome(pending({ kind: 'plan' }), { decision: 'allow', scope: 'session' })
    ).toThrow(/scope/)
  })

  it('answers a question with updatedInput {...input, answers}, several labels joined by ", "', () => {
    const q = pending({
      kind: 'question',
      toolName: 'AskUserQuestion',
      input: { questions: [{ question: 'Which?' }] },
    })
    const o = userOutcome(q, { decision: 'allow', answers: { 'Which?': ['red', 'blue'] } })
    expect(o.answers).toEqual({ 'Which?': 'red, blue' })
    expect(sent(o.response)).toEqual({
      behavior: 'allow',
      updatedInput: { questions: [{ question: 'Which?' }], answers: { 'Which?': 'red, blue' } },
    })
    expect(() => userOutcome(q, { decision: 'allow' })).toThrow(/answers/)
    expect(() => userOutcome(pending(), { decision: 'allow', answers: { a: 'b' } })).toThrow(
      /answers/
    )
  })
})

describe('the retry decision', () => {
  const base = {
    attempt: 0,
    stopping: false,
    resume: false,
    linesSeen: 0,
    stderr: '',
    missingConversation: false,
  }
  it('retries once: an id in use → --resume; a missing conversation → --session-id; nothing else', () => {
    expect(retryDecision(base)).toEqual({ retry: false })
    const inUse = {
      ...base,
      stderr: 'Error: Session ID 8d3c1a9e-0000-4000-8000-000000000001 is already in use.',
    }
    expect(retryDecision(inUse)).toEqual({ retry: true, resume: true, why: 'session_id_in_use' })
    expect(retryDecision({ ...inUse, linesSeen: 3 })).toEqual({ retry: false })
    expect(retryDecision({ ...inUse, resume: true })).toEqual({ retry: false })
    expect(retryDecision({ ...base, resume: true, missingConversation: true })).toEqual({
      retry: true,
      resume: false,
      why: 'missing_conversation',
    })
    expect(retryDecision({ ...inUse, attempt: 1 })).toEqual({ retry: false })
    expect(retryDecision({ ...base, missingConversation: true, stopping: true })).toEqual({
      retry: false,
    })
  })
})

describe('the broker with a real store', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-broker-'))
    dirs.push(dir)
    const { db } = openTestDatabase(dir)
    const store = createStore(db)
    store.createSession(sessionRow('ses_a'))
    store.beginTurn({
      sessionId: 'ses_a',
      turnId: 'trn_a',
      clientTurnId: null,
      prompt: 'p',
      model: null,
      queue: true,
    })
    const eventLog = createEventLog({
      store,
      hub: createHub({ ringEvents: 100, ringBytes: 100_000 }),
      onSessionChanged: () => {},
    })
    let n = 0
    const broker = createPermissionBroker({
      store,
      eventLog,
      log: createLogger({ level: 'error', write: () => {} }),
      timeoutMs: 60_000,
      newRuleId: () => `rul_${String(++n).padStart(16, '0')}`,
    })
    const request = permissionRequestFromLine({
      type: 'control_request',
      request_id: 'req-1',
      request: {
        subtype: 'can_use_tool',
        tool_name: 'Bash',
        input: { command: 'ls' },
        tool_use_id: 'tu1',
      },
    })!
    eventLog.append('ses_a', 'trn_a', [
      { kind: 'permission.requested', ...stampPermission(request, 'trn_a', Date.now(), 60_000) },
    ])
    return { store, broker }
  }

  it('an answer committed while claude cannot be written to is sent when the turn reconnects, once', () => {
    const { store, broker } = setup()
    expect(store.getSession('ses_a')!.pendingPermissions).toBe(1)
    const lines: string[] = []
    broker.connect('trn_a', () => false)
    expect(broker.answer('ses_a', 'req-1', { decision: 'allow' }).kind).toBe('resolved')
    expect(store.permissions.undelivered('trn_a')).toHaveLength(1)
    broker.connect('trn_a', (l) => (lines.push(l), true))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!).response.request_id).toBe('req-1')
    broker.connect('trn_a', (l) => (lines.push(l), true))
    expect(lines).toHaveLength(1)
    expect(store.getSession('ses_a')!.pendingPermissions).toBe(0)
    broker.stop()
  })

  it('exactly one of many answers wins; a session rule (no suggestion: the tool itself) is recorded once', () => {
    const { store, broker } = setup()
    broker.connect('trn_a', () => true)
    const results = [
      broker.answer('ses_a', 'req-1', { decision: 'allow', scope: 'session' }),
      broker.answer('ses_a', 'req-1', { decision: 'deny' }),
      broker.answer('ses_a', 'req-1', { decision: 'allow' }),
    ]
    expect(results.map((r) => r.kind)).toEqual(['resolved', 'already_resolved', 'already_resolved'])
    expect(store.permissions.rules('ses_a').map((r) => r.rule)).toEqual(['Bash'])
    expect(store.getSessionRuntime('ses_a')!.sessionRules).toEqual(['Bash'])
    expect(() => broker.answer('ses_b', 'req-1', { decision: 'allow' })).toThrow(/no permission/)
    expect(() => broker.answer('ses_a', 'req-2', { decision: 'allow' })).toThrow(/no permission/)
    expect(broker.resolveOpen('trn_a', 'lost')).toBe(0)
    broker.stop()
  })

  it('a request still open when claude is gone is resolved "lost", and nothing is sent', () => {
    const { store, broker } = setup()
    const lines: string[] = []
    broker.connect('trn_a', (l) => (lines.push(l), true))
    expect(broker.resolveOpen('trn_a', 'lost')).toBe(1)
    expect(store.permissions.get('req-1')).toMatchObject({
      status: 'resolved',
      decision: 'deny',
      by: 'lost',
    })
    expect(lines).toEqual([])
    broker.stop()
  })
})
