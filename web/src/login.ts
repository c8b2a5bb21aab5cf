/** The logged-out screen: a token form, and a clear word when the login expired or the token was rotated. */
import { api, ApiError, rememberCsrf } from './api.js'
import { h } from './dom.js'

export type LoginReason = 'unauthorized' | 'session_expired' | 'invalid_token' | 'logged_out'

export async function login(token: string): Promise<void> {
  const r = await api.post<{ csrf: string }>(
    '/auth/login',
    { token },
    { quietAuth: true, timeoutMs: 15_000 }
  )
  rememberCsrf(r.csrf)
}

export function loginScreen(reason: LoginReason, onDone: () => void): HTMLElement {
  const headline: Record<LoginReason, string> = {
    unauthorized: 'Log in to agentmux',
    logged_out: 'You are logged out',
    session_expired: 'Your login has expired',
    invalid_token: 'That link’s token is not valid',
  }
  const detail: Record<LoginReason, string> = {
    unauthorized: 'Paste the token the daemon printed, or open the link it gave you (…/#token=…).',
    logged_out: 'Paste the token to log in again.',
    session_expired:
      'The login cookie expired, or the daemon’s token was rotated. Open the new link (agentmux token) or paste the new token. Your unsent prompts are kept on this device.',
    invalid_token: 'The token may have been rotated. Paste the current one.',
  }
  const input = h('input', {
    type: 'password',
    name: 'token',
    class: 'input',
    autocomplete: 'current-password',
    autocapitalize: 'off',
    spellcheck: 'false',
    required: true,
    'aria-label': 'Token',
    placeholder: 'Token',
  })
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const btn = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Log in')
  const form = h('form', { class: 'login-form', novalidate: true }, input, err, btn)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const token = input.value.trim()
    if (!token) {
      input.focus()
      return
    }
    btn.disabled = true
    err.hidden = true
    try {
      await login(token)
      onDone()
    } catch (ex) {
      const x = ex instanceof ApiError ? ex : null
      err.textContent =
        x?.status === 401
          ? 'That token is not valid.'
          : x?.status === 429
            ? x.message
            : x?.status === 0
              ? 'No connection to the daemon. Try again when you are back online.'
              : `Could not log in: ${x?.message ?? String(ex)}`
      err.hidden = false
      btn.disabled = false
    }
  })
  return h(
    'section',
    { class: 'view login', 'data-view': 'login', 'data-reason': reason },
    h(
      'div',
      { class: 'login-box' },
      h('div', { class: 'brand big' }, 'agentmux'),
      h('h1', null, headline[reason]),
      h('p', { class: 'login-detail' }, detail[reason]),
      form
    )
  )
}
