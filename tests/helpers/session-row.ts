import type { NewSession } from '../../src/storage/store.js'

/** A session row for store-level tests: a default workspace, no model, mode or rules. */
export function sessionRow(id: string, over: Partial<NewSession> = {}): NewSession {
  return {
    id,
    title: id.replace(/^ses_/, ''),
    cwd: '/x',
    cwdIsDefault: true,
    model: null,
    permissionMode: null,
    allowedTools: [],
    appendSystemPrompt: null,
    claudeSessionId: `u-${id.replace(/^ses_/, '')}`,
    ...over,
  }
}
