/**
 * agentmux's phone page. Boot: log in from `#token=…` (then drop the fragment), else check the
 * cookie; then the session list stream and, on `#/s/<id>`, one session stream.
 */
import './styles.css'
import { actionsDialog, newSessionDialog, type MenuEntry } from './actions.js'
import { api, ApiError, onAuthLost } from './api.js'
import { ChatView } from './chat.js'
import { ConnPill } from './conn.js'
import { h } from './dom.js'
import { ListView } from './list.js'
import { login, loginScreen, type LoginReason } from './login.js'
import { registerServiceWorker } from './push.js'
import { SessionStore } from './sessions.js'
import { dropAll, kickAll, startWatchdog, type LiveStream } from './stream.js'
import { testHooks } from './test-hooks.js'
import { watchHiddenTitle } from './title.js'
import type { Session } from './types.js'
import { toast } from './ui.js'

const root = document.getElementById('app')!
const MAX_CACHED_CHATS = 4

class App {
  readonly store: SessionStore
  readonly pill: ConnPill
  private view: ListView | ChatView | null = null
  private readonly chats = new Map<string, ChatView>()
  private readonly tickTimer: ReturnType<typeof setInterval>
  private readonly onHash = () => this.route()
  private readonly onScroll = () => {
    if (this.view instanceof ChatView) this.view.onScroll()
  }
  stopped = false

  constructor(seed: Session[] | undefined) {
    this.pill = new ConnPill(() => {
      const s: LiveStream[] = [this.store.stream]
      if (this.view instanceof ChatView) s.push(this.view.stream)
      return s
    })
    this.store = new SessionStore(() => this.pill.update())
    this.store.start(seed)
    this.tickTimer = setInterval(() => {
      this.view?.tick()
      this.pill.update()
    }, 1000)
    window.addEventListener('hashchange', this.onHash)
    window.addEventListener('scroll', this.onScroll, { passive: true })
    this.route()
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.tickTimer)
    window.removeEventListener('hashchange', this.onHash)
    window.removeEventListener('scroll', this.onScroll)
    this.view?.destroy()
    this.view = null
    for (const c of this.chats.values()) c.destroy()
    this.chats.clear()
    this.store.stop()
  }

  private header = (title: HTMLElement, actions: HTMLElement): HTMLElement => {
    const back =
      this.routeId() !== null
        ? h('a', { class: 'icon-btn back', href: '#/', 'aria-label': 'All sessions' }, '‹')
        : null
    return h('header', { class: 'top' }, back, title, h('span', { class: 'pill-slot' }), actions)
  }

  private routeId(): string | null {
    const m = /^#\/s\/([^/?#]+)/.exec(location.hash)
    return m ? decodeURIComponent(m[1]!) : null
  }

  route(): void {
    if (this.stopped) return
    const id = this.routeId()
    if (id !== null && this.view instanceof ChatView && this.view.sid === id) return
    if (id === null && this.view instanceof ListView) return
    this.leave()
    if (id !== null) {
      // A session seen a moment ago comes back at once and resumes with ?after=<its last event>.
      let chat = this.chats.get(id)
      if (chat) this.chats.delete(id)
      else
        chat = new ChatView(id, {
          store: this.store,
          onChange: () => this.pill.update(),
          onGone: (gone) => this.gone(gone),
          openActions: (sid, extra) => this.actions(sid, extra),
          header: this.header,
        })
      this.view = chat
      root.replaceChildren(chat.el)
      chat.start()
      window.scrollTo(0, document.documentElement.scrollHeight)
    } else {
      this.view = new ListView({
        store: this.store,
        openNew: () =>
          newSessionDialog(this.store, (s) => (location.hash = `#/s/${encodeURIComponent(s.id)}`)),
        openActions: (sid) => this.actions(sid),
        logout: () => void logout(),
        header: this.header,
      })
      root.replaceChildren(this.view.el)
    }
    root.querySelector('.pill-slot')?.replaceChildren(this.pill.el)
    root.querySelector('header.top')?.append(this.pill.banner)
    testHooks.install({ view: () => this.view, conn: () => this.pill.state })
    this.pill.update()
  }

  /** The chat being left keeps its DOM and cursor (its stream closes); the oldest ones are dropped. */
  private leave(): void {
    const v = this.view
    this.view = null
    if (v instanceof ChatView) {
      v.suspend()
      this.chats.set(v.sid, v)
      for (const [sid, old] of this.chats) {
        if (this.chats.size <= MAX_CACHED_CHATS) break
        old.destroy()
        this.chats.delete(sid)
      }
    } else v?.destroy()
  }

  private actions(sid: string, extra: MenuEntry[] = []): void {
    actionsDialog(
      this.store,
      sid,
      (gone) => {
        if (this.routeId() === gone) location.hash = '#/'
      },
      extra
    )
  }

  private gone(id: string): void {
    this.chats.get(id)?.destroy()
    this.chats.delete(id)
    if (this.view instanceof ChatView && this.view.sid === id) {
      this.view.destroy()
      this.view = null
    }
    if (this.routeId() === id) {
      toast('That session no longer exists.', 'info')
      location.hash = '#/'
    }
  }

  /** The list stream said a session was deleted: drop its view, and leave it if it is on screen. */
  watchDeletes(): void {
    this.store.subscribe((id) => {
      if (id && this.store.loaded && !this.store.get(id)) this.gone(id)
    })
  }
}

let app: App | null = null
let stopTitle: (() => void) | null = null

function start(seed?: Session[]): void {
  app?.stop()
  stopTitle?.()
  app = new App(seed)
  app.watchDeletes()
  stopTitle = watchHiddenTitle(app.store)
}

function showLogin(reason: LoginReason): void {
  app?.stop()
  app = null
  document.title = 'agentmux — log in'
  root.replaceChildren(
    loginScreen(reason, () => {
      document.title = 'agentmux'
      void enter()
    })
  )
  root.querySelector<HTMLInputElement>('input[name=token]')?.focus()
}

async function logout(): Promise<void> {
  try {
    await api.post('/auth/logout', undefined, { quietAuth: true })
  } catch {
    // the cookie may already be gone
  }
  showLogin('logged_out')
}

/** Checks the cookie and starts the app, or shows why not. */
async function enter(): Promise<void> {
  // A chat opened by its address attaches at once instead of after this check: one round trip
  // less on a slow link (the list fills from its own stream). A 401 still ends in the login form.
  const early = /^#\/s\//.test(location.hash)
  if (early) start()
  try {
    const r = await api.get<{ sessions: Session[] }>('/sessions', {
      quietAuth: true,
      timeoutMs: 10_000,
    })
    if (!early) start(r.sessions)
  } catch (e) {
    if (e instanceof ApiError && e.auth)
      showLogin(e.code === 'session_expired' ? 'session_expired' : 'unauthorized')
    // Offline, or the daemon restarting: start anyway; the streams retry and say so.
    else if (!early) start()
  }
}

/** `#token=…` in the address: log in with it (then drop it). False when the token was refused. */
async function tokenFromHash(): Promise<'none' | 'ok' | 'refused'> {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (!m) return 'none'
  let token = m[1]!
  try {
    token = decodeURIComponent(token)
  } catch {
    // use it as it is
  }
  // The token must not stay in the address bar or the history.
  history.replaceState(null, '', location.pathname + location.search)
  try {
    await login(token)
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return 'refused'
    // offline: fall through; an existing cookie may still work
  }
  return 'ok'
}

async function boot(): Promise<void> {
  onAuthLost((code) => {
    if (app) showLogin(code === 'session_expired' ? 'session_expired' : 'unauthorized')
  })
  // A link with a token opened in a tab that is already open only changes the fragment.
  window.addEventListener('hashchange', () => {
    if (!/(?:^#|&)token=/.test(location.hash)) return
    void tokenFromHash().then((r) => (r === 'refused' ? showLogin('invalid_token') : enter()))
  })
  if ((await tokenFromHash()) === 'refused') return showLogin('invalid_token')
  await enter()
}

// A phone puts the page to sleep, kills its sockets and may not tell: on every sign of life, reconnect.
// Hidden too: the session stream says `visible=` in its URL, and the daemon sends no push to a
// session while a visible page is attached, so a hidden page reconnects to say it is not looking.
document.addEventListener('visibilitychange', () => kickAll())
window.addEventListener('pageshow', (e) => {
  if (e.persisted) kickAll()
})
window.addEventListener('online', () => {
  kickAll()
  app?.pill.update()
})
window.addEventListener('offline', () => {
  dropAll()
  app?.pill.update()
})
document.addEventListener('resume', () => kickAll())
startWatchdog()
registerServiceWorker()
void boot()
