/**
 * The service worker (built to /sw.js by web/pwa.mjs). It caches the app shell so the page opens
 * without the daemon (and says it is reconnecting), shows pushes as notifications tagged
 * `<session>:<kind>`, and opens the session (deep-linked to the request) when one is tapped.
 * The DOM lib has no worker types, so the few used here are declared locally.
 */
declare const __SHELL__: string[]
declare const __VERSION__: string

interface SwEvent extends Event {
  waitUntil(p: Promise<unknown>): void
}
interface SwFetchEvent extends SwEvent {
  request: Request
  respondWith(r: Promise<Response>): void
}
interface SwPushEvent extends SwEvent {
  data: { json(): unknown } | null
}
interface SwNotificationEvent extends SwEvent {
  notification: Notification
}
interface SwClient {
  url: string
  focus(): Promise<unknown>
  postMessage(m: unknown): void
}
interface SwGlobal {
  location: Location
  registration: ServiceWorkerRegistration
  clients: {
    claim(): Promise<void>
    matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<SwClient[]>
    openWindow(url: string): Promise<unknown>
  }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', l: (e: SwEvent) => void): void
  addEventListener(type: 'fetch', l: (e: SwFetchEvent) => void): void
  addEventListener(type: 'push', l: (e: SwPushEvent) => void): void
  addEventListener(type: 'notificationclick', l: (e: SwNotificationEvent) => void): void
}

interface PushMessage {
  kind?: string
  title?: string
  body?: string
  tag?: string
  url?: string
  urgent?: boolean
}

const sw = self as unknown as SwGlobal
const CACHE = `agentmux-shell-${__VERSION__}`
/** How long a page load waits for the daemon before it takes the cached shell. */
const NETWORK_WAIT_MS = 3000

sw.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(__SHELL__))
      .then(() => sw.skipWaiting())
  )
})

sw.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith('agentmux-shell-') && k !== CACHE)
            .map((k) => caches.delete(k))
        )
      )
      .then(() => sw.clients.claim())
  )
})

/** The daemon's page when it answers in time (a new build), else the cached shell. */
async function page(request: Request): Promise<Response> {
  const cached = caches.match('/', { cacheName: CACHE })
  try {
    const fresh = await Promise.race([
      fetch(request),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('slow')), NETWORK_WAIT_MS)
      ),
    ])
    if (fresh.ok) return fresh
    return (await cached) ?? fresh
  } catch (err) {
    const c = await cached
    if (c) return c
    throw err
  }
}

/** Hashed assets never change: cache first. */
async function asset(request: Request): Promise<Response> {
  const c = await caches.match(request, { cacheName: CACHE })
  return c ?? fetch(request)
}

sw.addEventListener('fetch', (e) => {
  const r = e.request
  if (r.method !== 'GET') return
  const url = new URL(r.url)
  if (url.origin !== sw.location.origin) return
  // Only the shell: API calls and event streams always go to the daemon.
  if (r.mode === 'navigate' && url.pathname === '/') e.respondWith(page(r))
  else if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/'))
    e.respondWith(asset(r))
})

sw.addEventListener('push', (e) => {
  let m: PushMessage = {}
  try {
    m = (e.data?.json() ?? {}) as PushMessage
  } catch {
    // not JSON: show the generic text
  }
  const options: NotificationOptions & { renotify?: boolean } = {
    body: m.body ?? '',
    tag: m.tag ?? 'agentmux',
    // A request buzzes again even when it replaces an earlier one; "answered" replaces silently.
    renotify: m.urgent === true,
    requireInteraction: m.urgent === true,
    icon: '/icons/icon-192.png',
    data: { url: m.url ?? '/' },
  }
  e.waitUntil(sw.registration.showNotification(m.title ?? 'agentmux', options))
})

sw.addEventListener('notificationclick', (e) => {
  e.notification.close()
  const data = e.notification.data as { url?: string } | null
  // The link may name the daemon's public URL; open it on this origin, where the worker lives.
  const hash = new URL(data?.url ?? '/', sw.location.origin).hash
  const target = `${sw.location.origin}/${hash}`
  e.waitUntil(
    sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (list) => {
      const open = list.find((c) => new URL(c.url).origin === sw.location.origin)
      if (!open) return sw.clients.openWindow(target)
      await open.focus()
      open.postMessage({ type: 'agentmux:open', hash })
      return undefined
    })
  )
})
