/** One SSE frame, parsed as the WHATWG spec says (enough for the daemon's streams). */
export interface SseFrame {
  event: string
  id: string | null
  data: string
}

/** Feeds text chunks in, calls onFrame for each complete frame; a cut frame waits for its end. */
export function createSseParser(onFrame: (f: SseFrame) => void) {
  let buffer = ''
  let event = 'message'
  let id: string | null = null
  let data: string[] = []

  function line(l: string): void {
    if (l === '') {
      if (data.length > 0) onFrame({ event, id, data: data.join('\n') })
      event = 'message'
      id = null
      data = []
      return
    }
    if (l.startsWith(':')) return
    const colon = l.indexOf(':')
    const field = colon < 0 ? l : l.slice(0, colon)
    const value = colon < 0 ? '' : l.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
    else if (field === 'id') id = value
  }

  return {
    feed(chunk: string): void {
      buffer += chunk
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        line(buffer.slice(0, nl).replace(/\r$/, ''))
        buffer = buffer.slice(nl + 1)
      }
    },
    /** A new connection starts clean: half a frame from a dropped one must not leak into it. */
    reset(): void {
      buffer = ''
      event = 'message'
      id = null
      data = []
    },
  }
}
