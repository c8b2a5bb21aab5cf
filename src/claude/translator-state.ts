import type { NewEvent } from '../events/types.js'

/** What the translator carries from line to line: small and JSON, committed with the spool offset. */
export interface TranslatorState {
  /** claude's total_cost_usd before this turn, to get the turn's own cost from the cumulative one. */
  baseTotalCost: number
  sawInit: boolean
  sawResult: boolean
  resultIsError: boolean
  claudeSessionId: string | null
  /** An agent-side error was already reported, so a non-zero exit need not repeat it. */
  reportedError: boolean
  /**
   * The plan of the model's last ExitPlanMode call: claude 2.1.330 strips `plan` from the input of
   * the permission request it makes for it, so the request takes it from here. Bounded.
   */
  lastPlan?: { toolUseId: string; plan: string } | null
}

export function initialTranslatorState(baseTotalCost: number): TranslatorState {
  return {
    baseTotalCost,
    sawInit: false,
    sawResult: false,
    resultIsError: false,
    claudeSessionId: null,
    reportedError: false,
  }
}

export interface Translation {
  events: NewEvent[]
  state: TranslatorState
}
