import { describe, expect, it } from 'vitest'
import {
  buildClaudeArgs,
  initializeLine,
  interruptLine,
  isSessionIdInUse,
  setPermissionModeLine,
  userMessageLine,
} from '../../src/claude/args.js'

const base = {
  claudeSessionId: '8d3c1a9e-0000-4000-8000-000000000001',
  resume: false,
  model: null,
  permissionMode: null,
  allowedTools: [],
}

describe('claude argv', () => {
  it('starts a conversation with --session-id and the stream-json flags', () => {
    expect(buildClaudeArgs(base)).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
      '--input-format',
      'stream-json',
      '--session-id',
      base.claudeSessionId,
      '--permission-prompt-tool',
      'stdio',
    ])
  })

  it('resumes with --resume, passes options as --flag=value and the variadic tools last', () => {
    const args = buildClaudeArgs({
      ...base,
      resume: true,
      model: 'sonnet',
      permissionMode: 'plan',
      allowedTools: ['Bash(git *)', 'Edit'],
    })
    expect(args.slice(7, 9)).toEqual(['--resume', base.claudeSessionId])
    expect(args).toContain('--model=sonnet')
    expect(args).toContain('--permission-mode=plan')
    expect(args.join(' ')).not.toContain('append-system-prompt')
    expect(args.slice(-3)).toEqual(['--allowedTools', 'Bash(git *)', 'Edit'])
    expect(args).not.toContain('--session-id')
  })

  it('never puts the prompt in argv; stdin carries it as a stream-json user message', () => {
    const prompt = '--help me; rm -rf / "quoted"\nsecond line'
    const line = userMessageLine(prompt)
    expect(line.endsWith('\n')).toBe(true)
    expect(line.slice(0, -1)).not.toContain('\n')
    expect(JSON.parse(line)).toEqual({
      type: 'user',
      message: { role: 'user', content: prompt },
      parent_tool_use_id: null,
      session_id: '',
    })
    expect(JSON.parse(interruptLine('i1'))).toEqual({
      type: 'control_request',
      request_id: 'i1',
      request: { subtype: 'interrupt' },
    })
  })

  it('sends the appended system prompt and a mode change as control requests on stdin', () => {
    expect(JSON.parse(initializeLine('init1', '-be brief'))).toEqual({
      type: 'control_request',
      request_id: 'init1',
      request: { subtype: 'initialize', appendSystemPrompt: '-be brief' },
    })
    expect(JSON.parse(setPermissionModeLine('m1', 'plan'))).toEqual({
      type: 'control_request',
      request_id: 'm1',
      request: { subtype: 'set_permission_mode', mode: 'plan' },
    })
  })

  it('recognises claude refusing a session id in use', () => {
    expect(isSessionIdInUse(`Error: Session ID ${base.claudeSessionId} is already in use.\n`)).toBe(
      true
    )
    expect(isSessionIdInUse('No conversation found with session ID: x')).toBe(false)
  })
})
