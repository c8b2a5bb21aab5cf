/**
 * Older turns of a conversation, loaded on demand. The chat stream attaches in catch-up mode with
 * only the newest turns (`?mode=catchup&turns=N`); when it starts later than the page's cursor the
 * server says so with `event: window` `{after}`, and everything at or below `after` is paged from
 * `GET /history?mode=catchup&before=…&turns=…`, newest first, when the person scrolls up.
 * Each page is whole turns, drawn by a renderer of its own and put above what is on screen.
 */
import { api, sessionPath } from './api.js'
import { h } from './dom.js'
import type { LogRenderer } from './render.js'
import type { LogEvent } from './types.js'

/** Turns shown first, and loaded per page when scrolling up. */
export const TURNS_PER_PAGE = 3
/** Start loading when the top of the log is this close to the top of the screen. */
const NEAR_TOP_PX = 400

interface OlderPage {
  events: LogEvent[]
  firstEventId: number
  hasMore: boolean
}

export class OlderTurns {
  /** Events with ids up to this one are not on screen yet; null when nothing older exists. */
  below: number | null = null
  private loading = false
  readonly button: HTMLButtonElement

  constructor(
    private readonly sid: string,
    private readonly log: HTMLElement,
    private readonly onError: (message: string) => void,
    private readonly renderer: (holder: HTMLElement) => LogRenderer
  ) {
    this.button = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small older',
        hidden: true,
        onClick: () => void this.load(),
      },
      'Show older turns'
    )
  }

  /** The stream now starts after `after`: what is older is ours to page. */
  set(after: number): void {
    this.below = after > 0 ? after : null
    this.paint()
  }

  /**
   * A cold open: the newest turns by a plain fetch, sent at once, while the stream is still being
   * set up (browsers start EventSource requests later than fetches during a page load). The
   * stream then brings the same events again, which the view ignores by id.
   */
  async newest(): Promise<OlderPage | null> {
    try {
      const q = `mode=catchup&turns=${TURNS_PER_PAGE}&before=${Number.MAX_SAFE_INTEGER}`
      return await api.get<OlderPage>(`${sessionPath(this.sid)}/history?${q}`, {
        timeoutMs: 20_000,
      })
    } catch {
      // The stream brings the same events; its own errors are shown.
      return null
    }
  }

  /** Scrolled near the top: fetch the next older page. */
  onScroll(): void {
    if (this.below !== null && !this.loading && this.log.getBoundingClientRect().top > -NEAR_TOP_PX)
      void this.load()
  }

  async load(): Promise<void> {
    if (this.below === null || this.loading) return
    this.loading = true
    this.paint()
    const below = this.below
    try {
      const q = `mode=catchup&turns=${TURNS_PER_PAGE}&before=${below + 1}`
      const page = await api.get<OlderPage>(`${sessionPath(this.sid)}/history?${q}`, {
        timeoutMs: 20_000,
      })
      // The log was rebuilt meanwhile (a reset or a new window): this page belongs to another one.
      if (this.below !== below) return
      this.prepend(page.events)
      this.below = page.hasMore ? page.firstEventId : null
    } catch (e) {
      this.onError(`Could not load older turns: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      this.loading = false
      this.paint()
    }
  }

  private prepend(events: LogEvent[]): void {
    const holder = h('div', null)
    const r = this.renderer(holder)
    for (const ev of events) {
      try {
        r.render(ev)
      } catch (e) {
        console.error('agentmux: could not render event', ev.id, e)
      }
    }
    // Keep what the person is reading where it is while the page grows above it.
    const doc = document.scrollingElement ?? document.documentElement
    const before = doc.scrollHeight
    this.log.prepend(...Array.from(holder.childNodes))
    window.scrollBy(0, doc.scrollHeight - before)
  }

  private paint(): void {
    this.button.hidden = this.below === null
    this.button.disabled = this.loading
    this.button.textContent = this.loading ? 'Loading older turns…' : 'Show older turns'
  }
}
