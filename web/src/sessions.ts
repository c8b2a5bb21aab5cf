/** The live session list, from `GET /events` (one session.updated per session, caught-up, then changes). */
import { api, ApiError } from './api.js'
import { LiveStream } from './stream.js'
import type { FeedMessage, Session } from './types.js'

type Listener = (id: string | null) => void

export class SessionStore {
  readonly map = new Map<string, Session>()
  /** Set once the first snapshot arrived (caught-up). */
  loaded = false
  readonly stream: LiveStream
  private readonly listeners = new Set<Listener>()
  /** Ids announced since the stream (re)opened: a session missing from a fresh snapshot was deleted meanwhile. */
  private seen = new Set<string>()

  constructor(onChange: () => void) {
    this.stream = new LiveStream('list', {
      url: () => {
        this.seen = new Set()
        return '/events'
      },
      onMessage: (data) => {
        let m: FeedMessage
        try {
          m = JSON.parse(data) as FeedMessage
        } catch {
          return
        }
        this.apply(m)
      },
      onCaughtUp: () => {
        for (const id of [...this.map.keys()]) {
          if (!this.seen.has(id)) {
            this.map.delete(id)
            this.emit(id)
          }
        }
        this.loaded = true
        this.emit(null)
      },
      probe: async () => {
        try {
          await api.get('/sessions', { timeoutMs: 10_000 })
          return true
        } catch (e) {
          return !(e instanceof ApiError && e.auth)
        }
      },
      onChange,
    })
  }

  start(seed?: Session[]): void {
    if (seed) {
      for (const s of seed) this.map.set(s.id, s)
      this.loaded = true
    }
    this.stream.start()
  }

  stop(): void {
    this.stream.stop()
    this.listeners.clear()
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  get(id: string): Session | undefined {
    return this.map.get(id)
  }

  /** Most recently active first, ties by id, as GET /sessions orders them (updated_at DESC, id). */
  sorted(): Session[] {
    return [...this.map.values()].sort((a, b) =>
      a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? -1 : 1
    )
  }

  /** A session we learned about from a request (create, rename) before the stream said so. */
  put(s: Session): void {
    const old = this.map.get(s.id)
    if (old && old.updatedAt > s.updatedAt) return
    this.map.set(s.id, s)
    this.emit(s.id)
  }

  remove(id: string): void {
    if (this.map.delete(id)) this.emit(id)
  }

  apply(m: FeedMessage): void {
    if (m.kind === 'session.updated' && m.session?.id) {
      this.seen.add(m.session.id)
      this.map.set(m.session.id, m.session)
      this.emit(m.session.id)
    } else if (m.kind === 'session.deleted' && m.id) {
      this.remove(m.id)
    }
  }

  /** When the running turn started, for "running 3:12". */
  runningSince(s: Session): string | null {
    return s.status === 'running' ? s.activeTurnStartedAt : null
  }

  private emit(id: string | null): void {
    for (const l of this.listeners) l(id)
  }
}
