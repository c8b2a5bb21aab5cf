/** Permission modes as a person reads them. Typed by the daemon's list, so a new mode cannot go unlabelled. */
import type { PermissionMode } from './types.js'

export const MODE_LABEL: Record<PermissionMode, string> = {
  default: 'Ask before edits and commands',
  acceptEdits: 'Edit files without asking',
  plan: 'Plan only, change nothing',
  auto: 'Auto: claude decides when to ask',
  dontAsk: 'Never ask: refuse what is not allowed',
  manual: 'Manual: ask for everything',
  bypassPermissions: 'Bypass all permission checks',
}

/** Short forms for the chat's header row. */
export const MODE_SHORT: Record<PermissionMode, string> = {
  default: 'asks first',
  acceptEdits: 'edits freely',
  plan: 'plan only',
  auto: 'auto',
  dontAsk: 'never asks',
  manual: 'manual',
  bypassPermissions: 'bypass',
}

/** In the order the forms offer them; bypass last, and only where it can work (not as root). */
export function modeChoices(bypassAvailable: boolean): PermissionMode[] {
  const all: PermissionMode[] = [
    'default',
    'acceptEdits',
    'plan',
    'auto',
    'dontAsk',
    'manual',
    'bypassPermissions',
  ]
  return bypassAvailable ? all : all.filter((m) => m !== 'bypassPermissions')
}

/** No mode set: claude's own default, which asks first. */
export const modeShort = (m: string | null | undefined): string =>
  m && m in MODE_SHORT ? MODE_SHORT[m as PermissionMode] : m || MODE_SHORT.default

export interface DaemonConfig {
  allowedRoots: string[]
  runningAsRoot: boolean
  bypassPermissionsAvailable: boolean
}
