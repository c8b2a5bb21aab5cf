import type { PermissionBroker } from '../approvals/broker.js'
import type { EventLog } from '../events/event-log.js'
import type { Logger } from '../log.js'
import type { StopReason } from '../sessions/types.js'
import type { Store } from '../storage/store.js'
import type { StdinFifos } from './stdin-fifo.js'

export interface RunnerConfig {
  claudeBin: string
  childEnv: Record<string, string>
  spoolDir: string
  /** 0 disables. */
  turnTimeoutMs: number
  /** No output for this long cancels the turn; 0 disables. */
  stallTimeoutMs: number
  /** How long the stdin interrupt gets before signals. */
  interruptGraceMs: number
  /** Between SIGINT, SIGTERM and SIGKILL. */
  signalGraceMs: number
  /** How long claude may take to exit after its result before it is stopped. */
  exitGraceMs: number
  /** Fallback poll of the spool (a missed file notification), and the liveness poll of adopted processes. */
  pollMs: number
  /** How long a tool approval waits for an answer (0 = for ever); questions and plans always wait. */
  approvalTimeoutMs: number
}

export interface TurnRunnerDeps {
  config: RunnerConfig
  store: Store
  eventLog: EventLog
  log: Logger
  broker: PermissionBroker
  fifos: StdinFifos
}

export interface TurnRun {
  readonly turnId: string
  readonly sessionId: string
  /** False when there is nothing left to cancel: the turn ended or claude already gave its result. */
  cancel(reason: StopReason): boolean
  /** Writes a control line to the running claude (set_permission_mode); false when it cannot. */
  control(line: string): boolean
  /** Stops watching without ending the turn: the next daemon adopts it. */
  detach(): Promise<void>
  /** Resolves after turn.ended is committed, or after detach. */
  readonly done: Promise<void>
}
