/** Whether a spawn attempt that ended is tried once more, and how. Pure. */
import { isSessionIdInUse } from '../claude/args.js'

export interface AttemptFacts {
  /** 0 for the first spawn; there is at most one retry. */
  attempt: number
  /** The turn is being cancelled (or stopped for another reason). */
  stopping: boolean
  /** This attempt ran with --resume (else --session-id). */
  resume: boolean
  /** Lines claude printed in this attempt. */
  linesSeen: number
  /** The end of claude's stderr. */
  stderr: string
  /** claude answered the --resume with "No conversation found". */
  missingConversation: boolean
}

export type RetryDecision =
  | { retry: false }
  | { retry: true; resume: boolean; why: 'session_id_in_use' | 'missing_conversation' }

/**
 * claude's two ways of refusing a conversation id, each retried once with the other flag:
 * `--session-id` of an id that has a transcript (a turn the daemon never saw begin) → `--resume`;
 * `--resume` of an id with no transcript (the first turn died after system/init, before claude
 * wrote it) → `--session-id`.
 */
export function retryDecision(f: AttemptFacts): RetryDecision {
  if (f.attempt > 0 || f.stopping) return { retry: false }
  if (!f.resume && f.linesSeen === 0 && isSessionIdInUse(f.stderr)) {
    return { retry: true, resume: true, why: 'session_id_in_use' }
  }
  if (f.missingConversation) return { retry: true, resume: false, why: 'missing_conversation' }
  return { retry: false }
}
