/**
 * While the tab is hidden, its title says what happened: `✓ <title>` when a turn ended, `● needs
 * you` when a permission request is waiting. It goes back when the tab is shown again.
 */
import type { SessionStore } from './sessions.js'
import type { Session } from './types.js'

const pending = (s: Session | undefined) =>
  (s as { pendingPermissions?: number } | undefined)?.pendingPermissions ?? 0

export function watchHiddenTitle(store: SessionStore): () => void {
  const seen = new Map<string, { status: string; pending: number }>()
  let mark: string | null = null
  let original: string | null = null

  const apply = () => {
    if (mark === null || document.visibilityState !== 'hidden') return
    // Views set the title as they repaint; the mark wins while hidden.
    if (document.title !== mark) {
      original ??= document.title
      document.title = mark
    }
  }

  const unsubscribe = store.subscribe((id) => {
    const ids = id === null ? [...store.map.keys()] : [id]
    for (const sid of ids) {
      const s = store.get(sid)
      const before = seen.get(sid)
      if (!s) {
        seen.delete(sid)
        continue
      }
      seen.set(sid, { status: s.status, pending: pending(s) })
      if (!before || document.visibilityState !== 'hidden') continue
      if (pending(s) > before.pending) mark = '● needs you'
      else if (before.status === 'running' && s.status !== 'running' && mark !== '● needs you')
        mark = `✓ ${s.title || 'Untitled session'}`
    }
    queueMicrotask(apply)
  })

  const onVisibility = () => {
    if (document.visibilityState !== 'visible') return
    if (mark !== null && original !== null && document.title === mark) document.title = original
    mark = null
    original = null
  }
  document.addEventListener('visibilitychange', onVisibility)
  return () => {
    unsubscribe()
    document.removeEventListener('visibilitychange', onVisibility)
  }
}
