import type { HttpBindings } from '@hono/node-server'

/** What every route sees: the Node request/response, and the token that authenticated it. */
export type AppEnv = {
  Bindings: HttpBindings
  Variables: {
    /** The token in force when the request was authenticated; streams are ended when it changes. */
    token: string
  }
}
