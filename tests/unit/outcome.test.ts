import { describe, expect, it } from 'vitest'
import { initialTranslatorState } from '../../src/claude/translator-state.js'
import { turnOutcome, type TurnFacts } from '../../src/turns/outcome.js'

const base: TurnFacts = {
  stopReason: null,
  spawnError: null,
  storageError: null,
  approvalTimeout: null,
  adopted: false,
  state: { ...initialTranslatorState(0), sawInit: true, sawResult: true },
  exit: { code: 0, signal: null },
  stderr: '',
  turnTimeoutMs: 60_000,
  stallTimeoutMs: 30_000,
}
const messages = (f: Partial<TurnFacts>) =>
  turnOutcome({ ...base, ...f }).errors.map((e) => (e as { message: string }).message)

describe('how a turn ended', () => {
  it('completed: a successful result and a clean exit, no error', () => {
    expect(turnOutcome(base)).toEqual({ status: 'completed', errors: [] })
  })

  it('cancelled wins over claude reporting the interrupt as an error (exit 1 after an interrupted result)', () => {
    for (const stopReason of ['user', 'delete', 'shutdown'] as const) {
      const r = turnOutcome({
        ...base,
        stopReason,
        state: { ...base.state, resultIsError: true },
        exit: { code: 1, signal: null },
      })
      expect(r).toEqual({ status: 'cancelled', errors: [] })
    }
  })

  it('failed with the reason for timeouts, stalls, a full disk and spawn failures', () => {
    expect(messages({ stopReason: 'timeout' })[0]).toBe('turn timed out after 60 s and was stopped')
    expect(messages({ stopReason: 'stall' })[0]).toBe(
      'claude printed nothing for 30 s; the turn was stopped'
    )
    expect(
      messages({ stopReason: 'storage', storageError: new Error('database or disk is full') })[0]
    ).toContain('could not be saved (database or disk is full)')
    expect(turnOutcome({ ...base, spawnError: new Error('ENOENT') }).status).toBe('failed')
  })

  it('failed for a bad exit without a result, with the stderr tail', () => {
    const r = turnOutcome({
      ...base,
      state: { ...base.state, sawResult: false },
      exit: { code: 3, signal: null },
      stderr: 'boom\n',
    })
    expect(r.status).toBe('failed')
    expect(
      messages({
        state: { ...base.state, sawResult: false },
        exit: { code: 3, signal: null },
        stderr: 'boom\n',
      })
    ).toEqual(['claude exited with code 3: boom'])
    expect(
      messages({
        state: { ...base.state, sawResult: false },
        exit: { code: null, signal: 'SIGKILL' },
      })
    ).toEqual(['claude was killed by SIGKILL: no result'])
  })

  it('an API error already reported by claude is not reported twice', () => {
    const apiError = { ...base.state, resultIsError: true, reportedError: true }
    expect(turnOutcome({ ...base, state: apiError, exit: { code: 1, signal: null } })).toEqual({
      status: 'failed',
      errors: [],
    })
    expect(
      messages({
        state: { ...apiError, reportedError: false },
        exit: { code: 1, signal: null },
        stderr: 'x',
      })
    ).toEqual(['x'])
  })

  it('interrupted: an adopted turn whose claude ended without a result; completed if the result was in the spool', () => {
    expect(
      turnOutcome({
        ...base,
        adopted: true,
        state: { ...base.state, sawResult: false },
        exit: { code: null, signal: null },
      }).status
    ).toBe('interrupted')
    expect(turnOutcome({ ...base, adopted: true, exit: { code: null, signal: null } }).status).toBe(
      'completed'
    )
  })
})
