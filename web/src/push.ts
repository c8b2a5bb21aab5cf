/**
 * Installable page and push, on the page's side: registers the service worker, follows its
 * "open this session" messages, and offers "Notify me" (a Web Push subscription) in the ⋯ menu.
 * iOS gives push only to a page added to the Home Screen, so there it says that instead.
 */
import { api, call } from './api.js'
import { h } from './dom.js'
import { toast } from './ui.js'

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
    // Not fatal: the page works without it, only not offline and without push.
  })
  // A tapped notification asks an open page to show the session (the worker cannot set its hash).
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as { type?: string; hash?: string } | null
    if (m?.type === 'agentmux:open' && typeof m.hash === 'string' && m.hash.startsWith('#/'))
      location.hash = m.hash
  })
}

function isIos(): boolean {
  const ua = navigator.userAgent
  // iPadOS reports itself as a Mac; its touch points give it away.
  return /iPad|iPhone|iPod/.test(ua) || (ua.includes('Macintosh') && navigator.maxTouchPoints > 1)
}

function installed(): boolean {
  return (
    matchMedia('(display-mode: standalone)').matches ||
    (navigator as Navigator & { standalone?: boolean }).standalone === true
  )
}

export type PushSupport = 'ok' | 'ios-install' | 'unsupported'

export function pushSupport(): PushSupport {
  if (isIos() && !installed()) return 'ios-install'
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
    return 'unsupported'
  return 'ok'
}

async function currentSubscription(): Promise<PushSubscription | null> {
  const reg = await navigator.serviceWorker.ready
  return reg.pushManager.getSubscription()
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

async function enable(): Promise<void> {
  if ((await Notification.requestPermission()) !== 'granted')
    throw new Error('Notifications are blocked for this site.')
  const { publicKey } = await api.get<{ publicKey: string }>('/push/vapid-public-key')
  const reg = await navigator.serviceWorker.ready
  let sub = await reg.pushManager.getSubscription()
  // A subscription made for another daemon's key cannot be used: start over.
  if (sub) await sub.unsubscribe()
  sub = await reg.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey),
  })
  await api.post('/push/subscriptions', sub.toJSON())
}

async function disable(): Promise<void> {
  const sub = await currentSubscription()
  if (!sub) return
  await call('DELETE', '/push/subscriptions', { endpoint: sub.endpoint })
  await sub.unsubscribe()
}

/** The ⋯ menu entry: a toggle, or why there is none. */
export function notifyMenuEntry(): HTMLElement {
  const support = pushSupport()
  if (support === 'ios-install') {
    return h(
      'p',
      { class: 'dialog-info', 'data-testid': 'notify-ios' },
      'Add to Home Screen to get notifications'
    )
  }
  if (support === 'unsupported') {
    return h(
      'p',
      { class: 'dialog-info', 'data-testid': 'notify-unsupported' },
      'This browser cannot show notifications.'
    )
  }
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-block',
      'data-testid': 'notify-toggle',
      'aria-pressed': 'false',
    },
    'Notify me'
  )
  let on = false
  const paint = () => {
    btn.textContent = on ? 'Notifications on · turn off' : 'Notify me'
    btn.setAttribute('aria-pressed', String(on))
  }
  void currentSubscription()
    .then((s) => {
      on = s !== null && Notification.permission === 'granted'
      paint()
    })
    .catch(() => {})
  btn.addEventListener('click', async () => {
    btn.disabled = true
    try {
      if (on) await disable()
      else await enable()
      on = !on
      paint()
      toast(
        on ? 'You will be notified when a turn ends or needs you.' : 'Notifications off.',
        'info'
      )
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e))
    } finally {
      btn.disabled = false
    }
  })
  return btn
}
