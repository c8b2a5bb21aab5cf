import pg from 'pg'

/** Wake-ups from the database: a channel's payloads, as PostgreSQL's NOTIFY delivers them. */
export interface Notifications {
  on(channel: string, listener: (payload: string) => void): void
  close(): Promise<void>
}

/**
 * LISTEN on a connection of its own (the query connection lives in a worker and blocks). A
 * notification is only a wake-up: every listener also polls, so one lost while the connection
 * was down costs a poll interval, never a missed row. The connection comes back by itself.
 */
export function listenPostgres(url: string, onError: (err: Error) => void): Notifications {
  const listeners = new Map<string, ((payload: string) => void)[]>()
  let client: pg.Client | null = null
  let closed = false
  let retry: NodeJS.Timeout | null = null

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, application_name: 'agentmux-listen' })
    c.on('notification', (n) => {
      for (const l of listeners.get(n.channel) ?? []) l(n.payload ?? '')
    })
    c.on('error', (err) => {
      onError(err)
      reconnect(c)
    })
    c.on('end', () => reconnect(c))
    try {
      await c.connect()
      for (const channel of listeners.keys()) await c.query(`LISTEN ${channel}`)
      if (closed) return void (await c.end())
      client = c
    } catch (err) {
      onError(err as Error)
      reconnect(c)
    }
  }

  function reconnect(c: pg.Client): void {
    if (client === c) client = null
    if (closed || retry) return
    c.end().catch(() => {})
    retry = setTimeout(() => {
      retry = null
      void connect()
    }, 1000)
    retry.unref()
  }

  // One query at a time on the connection: LISTENs queue behind the connect and each other.
  let queue = Promise.resolve().then(connect)
  return {
    on(channel, listener) {
      if (!/^[a-z_]+$/.test(channel)) throw new Error(`bad channel name ${channel}`)
      const list = listeners.get(channel)
      if (list) return void list.push(listener)
      listeners.set(channel, [listener])
      queue = queue.then(() => client?.query(`LISTEN ${channel}`).then(() => {}, onError))
    },
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      await queue
      const c = client
      client = null
      await c?.end().catch(() => {})
    },
  }
}
