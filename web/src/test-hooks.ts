/**
 * Hooks for the browser tests (`window.agentmux`: the open view, every applied event id, the
 * connection state). Only the test build has them: web/build.mjs defines __TEST_HOOKS__ false for
 * the production bundle, and the minifier drops this code (and the id array that grows without bound).
 */
declare const __TEST_HOOKS__: boolean

interface Hooks {
  applied(view: object, id: number): void
  reset(view: object): void
  install(state: { view: () => unknown; conn: () => string }): void
}

const noop: Hooks = { applied() {}, reset() {}, install() {} }

function real(): Hooks {
  const ids = new WeakMap<object, number[]>()
  return {
    applied(view, id) {
      let a = ids.get(view)
      if (!a) ids.set(view, (a = []))
      a.push(id)
    },
    reset(view) {
      ids.set(view, [])
    },
    install(state) {
      ;(window as unknown as { agentmux: unknown }).agentmux = {
        get view() {
          return state.view()
        },
        applied: () => {
          const v = state.view()
          return v && typeof v === 'object' ? [...(ids.get(v) ?? [])] : []
        },
        conn: state.conn,
      }
    },
  }
}

export const testHooks: Hooks = __TEST_HOOKS__ ? real() : noop
