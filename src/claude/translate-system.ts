/** claude's `system` lines (init, retries, compaction, denials…) and notices, as events. */
import type { NewEvent } from '../events/types.js'
import { clip, isObj, num, str, strings, type Obj } from './json-fields.js'
import type { Translation, TranslatorState } from './translator-state.js'

const NOTICE_MAX_CHARS = 2000
const SILENT_SYSTEM = new Set(['thinking_tokens', 'session_state_changed'])

export function notice(subtype: string, line: Obj, message?: string): NewEvent {
  const m =
    message ??
    (str(line.message) ||
      str(line.summary) ||
      str(line.description) ||
      str(line.text) ||
      clip(JSON.stringify(line), NOTICE_MAX_CHARS))
  return { kind: 'agent.notice', subtype, message: clip(m, NOTICE_MAX_CHARS) }
}

export function translateSystem(line: Obj, state: TranslatorState): Translation {
  const subtype = str(line.subtype, 'unknown')
  switch (subtype) {
    case 'init': {
      const claudeSessionId = str(line.session_id)
      return {
        events: [
          {
            kind: 'agent.init',
            model: str(line.model),
            claudeSessionId,
            cwd: str(line.cwd),
            tools: strings(line.tools),
            slashCommands: strings(line.slash_commands),
            permissionMode: str(line.permissionMode),
            version: str(line.claude_code_version),
          },
        ],
        state: { ...state, sawInit: true, claudeSessionId },
      }
    }
    case 'status': {
      // "requesting" precedes every API call: noise. Compaction is worth showing.
      if (line.status === 'compacting')
        return { events: [notice('compacting', line, 'Compacting the conversation…')], state }
      if (typeof line.compact_error === 'string')
        return { events: [notice('compact_error', line, line.compact_error)], state }
      return { events: [], state }
    }
    case 'api_retry':
      return {
        events: [
          {
            kind: 'agent.retry',
            attempt: num(line.attempt),
            maxRetries: num(line.max_retries),
            delayMs: num(line.retry_delay_ms),
            status: typeof line.error_status === 'number' ? line.error_status : null,
            error: typeof line.error === 'string' ? line.error : JSON.stringify(line.error ?? null),
          },
        ],
        state,
      }
    case 'permission_denied':
      return {
        events: [
          {
            kind: 'tool.denied',
            toolUseId: str(line.tool_use_id),
            name: str(line.tool_name),
            message: str(line.message, 'Permission denied'),
          },
        ],
        state,
      }
    case 'compact_boundary': {
      const meta = isObj(line.compact_metadata) ? line.compact_metadata : {}
      const pre = num(meta.pre_tokens, NaN)
      const msg = Number.isNaN(pre)
        ? 'Conversation compacted'
        : `Conversation compacted (${pre} tokens before)`
      return { events: [notice('compact_boundary', line, msg)], state }
    }
    default:
      if (SILENT_SYSTEM.has(subtype)) return { events: [], state }
      return { events: [notice(subtype, line)], state }
  }
}
