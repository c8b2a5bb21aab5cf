/** argv and stdin lines for one claude turn (shared/claude-cli.md §4, §5). Pure. */

export interface ClaudeTurnArgs {
  claudeSessionId: string
  /** true once a transcript exists (claude printed system/init): --resume, else --session-id. */
  resume: boolean
  model: string | null
  permissionMode: string | null
  allowedTools: string[]
}

export function buildClaudeArgs(a: ClaudeTurnArgs): string[] {
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--include-partial-messages',
    '--input-format',
    'stream-json',
    a.resume ? '--resume' : '--session-id',
    a.claudeSessionId,
    // Approvals and questions come to the daemon as control requests on stdout (issue 9).
    '--permission-prompt-tool',
    'stdio',
  ]
  // `--flag=value` keeps a value that starts with "-" from being read as an option.
  if (a.model) args.push(`--model=${a.model}`)
  if (a.permissionMode) args.push(`--permission-mode=${a.permissionMode}`)
  // --allowedTools is variadic: it must come last, or it would swallow the arguments after it.
  if (a.allowedTools.length > 0) args.push('--allowedTools', ...a.allowedTools)
  return args
}

/** The prompt goes to stdin, never argv: no length limit, no leak in `ps`, a leading "-" is fine. */
/** The prompt as a stream-json user message; images go first as base64 image content blocks. */
export function userMessageLine(
  prompt: string,
  images: readonly { mediaType: string; data: Buffer }[] = []
): string {
  const content =
    images.length === 0
      ? prompt
      : [
          ...images.map((i) => ({
            type: 'image',
            source: { type: 'base64', media_type: i.mediaType, data: i.data.toString('base64') },
          })),
          { type: 'text', text: prompt },
        ]
  return `${JSON.stringify({
    type: 'user',
    message: { role: 'user', content },
    parent_tool_use_id: null,
    session_id: '',
  })}\n`
}

export function interruptLine(requestId: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } })}\n`
}

/** claude's refusal to start a new conversation under an id that already has a transcript. */
export function isSessionIdInUse(stderr: string): boolean {
  return /Session ID \S+ is already in use/.test(stderr)
}

/** claude's answer to --resume of an id with no transcript (its first turn died before writing one). */
export function isMissingConversation(text: string): boolean {
  return /No conversation found with session ID/.test(text)
}

/**
 * The session's appended system prompt goes through stdin (`initialize`), not argv: every local
 * user can read /proc/<pid>/cmdline.
 */
export function initializeLine(requestId: string, appendSystemPrompt: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'initialize', appendSystemPrompt } })}\n`
}

/** PATCH permissionMode while a turn runs reaches the running claude too. */
export function setPermissionModeLine(requestId: string, mode: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'set_permission_mode', mode } })}\n`
}

/**
 * Ends claude the way EOF used to: it exits with its own code (0, or 1 after an error result).
 * Needed because claude holds its stdin FIFO open itself and so never sees EOF (2.1.330).
 */
export function endSessionLine(requestId: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'end_session' } })}\n`
}
