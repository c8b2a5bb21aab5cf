/**
 * Logging in from the page: the token in the URL fragment, the token form, and a clear screen when
 * the login expired or the token was rotated (the daemon keeps its token in a file here).
 */
import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rotateToken, tokenPath } from '../../src/auth/token-file.js'
import { createApi } from '../helpers/api.js'
import {
  CHROMIUM,
  assertPageBuilt,
  launchBrowser,
  newPage,
  screenshotPath,
  type OpenedPage,
} from '../helpers/browser.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let d: TestDaemon
let browser: Browser

const fileToken = () => readFileSync(tokenPath(d.dataDir), 'utf8').trim()
const api = () => createApi(d.url, fileToken())

async function withPage<T>(fn: (p: OpenedPage) => Promise<T>): Promise<T> {
  const p = await newPage(browser)
  try {
    return await fn(p)
  } finally {
    await p.close()
  }
}

describe.skipIf(!CHROMIUM)('logging in', () => {
  beforeAll(async () => {
    assertPageBuilt()
    d = await startTestDaemon({ token: null })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await d?.stop()
  })

  it('logs in with the token from the fragment and removes it from the URL and the history', async () => {
    await withPage(async ({ page, context }) => {
      await page.goto(`${d.url}/#token=${encodeURIComponent(fileToken())}`)
      await page.waitForSelector('[data-view=list]')
      expect(page.url()).toBe(`${d.url}/`)
      // about:blank, then the page: the URL with the token was replaced, not kept behind a new entry.
      expect(await page.evaluate('history.length')).toBe(2)
      const cookies = await context.cookies()
      expect(cookies).toHaveLength(1)
      expect(cookies[0]).toMatchObject({
        name: 'agentmux_session',
        httpOnly: true,
        sameSite: 'Strict',
      })
      expect(await page.evaluate('document.cookie')).toBe('')
    })
  })

  it('without a fragment or cookie shows the token form; a wrong token is refused, the right one works', async () => {
    await withPage(async ({ page }) => {
      await page.goto(`${d.url}/`)
      await page.waitForSelector('[data-view=login][data-reason=unauthorized]')
      await page.fill('input[name=token]', 'not-the-token')
      await page.click('.login-form button[type=submit]')
      // The element exists before the refusal comes back: wait for its text, then read it.
      await page.waitForSelector('.form-error:not(:empty)')
      await expect(page.textContent('.form-error')).resolves.toBe('That token is not valid.')
      await page.fill('input[name=token]', fileToken())
      await page.click('.login-form button[type=submit]')
      await page.waitForSelector('[data-view=list]')
    })
  })

  it('a bad token in the link says so', async () => {
    await withPage(async ({ page }) => {
      await page.goto(`${d.url}/#token=wrong-token-from-an-old-link`)
      await page.waitForSelector('[data-view=login][data-reason=invalid_token]')
      expect(page.url()).toBe(`${d.url}/`)
    })
  })

  it('cleared cookies bring back the token form', async () => {
    await withPage(async ({ page, context }) => {
      await page.goto(`${d.url}/#token=${encodeURIComponent(fileToken())}`)
      await page.waitForSelector('[data-view=list]')
      await context.clearCookies()
      await page.reload()
      await page.waitForSelector('[data-view=login][data-reason=unauthorized]')
    })
  })

  it('a rotated token shows the expired screen; the unsent prompt survives a new login', async () => {
    await withPage(async ({ page }) => {
      const s = (await api().post('/sessions', { title: 'rotation' })).body as { id: string }
      await page.goto(`${d.url}/#token=${encodeURIComponent(fileToken())}`)
      await page.waitForSelector('[data-view=list]')
      await page.goto(`${d.url}/#/s/${s.id}`)
      await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })

      rotateToken(d.dataDir)
      await page.fill('textarea.prompt', 'typed before I noticed')
      await page.click('button.send')
      await page.waitForSelector('[data-view=login][data-reason=session_expired]')
      await expect(page.textContent('.login-box h1')).resolves.toBe('Your login has expired')
      await page.screenshot({ path: screenshotPath('expired-360x740.png') })
      // Streams are closed: nothing keeps hammering the daemon with a dead cookie.
      const stored = JSON.parse(
        (await page.evaluate(`localStorage.getItem('agentmux:draft:${s.id}')`)) as string
      )
      expect(stored.text).toBe('typed before I noticed')

      // A reload with the dead cookie lands on the same screen.
      await page.reload()
      await page.waitForSelector('[data-view=login][data-reason=session_expired]')

      await page.fill('input[name=token]', fileToken())
      await page.click('.login-form button[type=submit]')
      await page.waitForSelector('[data-view=chat]')
      expect(await page.inputValue('textarea.prompt')).toBe('typed before I noticed')
      expect((await api().get(`/sessions/${s.id}/turns`)).body.turns).toHaveLength(0)
    })
  })

  it('logs out', async () => {
    await withPage(async ({ page, context }) => {
      await page.goto(`${d.url}/#token=${encodeURIComponent(fileToken())}`)
      await page.waitForSelector('[data-view=list]')
      await page.click('text=Log out')
      await page.waitForSelector('[data-view=login][data-reason=logged_out]')
      expect(await context.cookies()).toHaveLength(0)
    })
  })
})
