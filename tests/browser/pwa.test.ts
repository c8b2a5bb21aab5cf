/**
 * The installable page in a real Chromium at 360×740: no installability errors, the service worker
 * controls the page, a push becomes a tagged notification, the app shell opens with the daemon
 * gone and says it is reconnecting, "Notify me" (or the iOS hint) in the ⋯ menu, the title of a
 * hidden tab, and the session stream's visible=1 following the tab's visibility.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  assertPageBuilt,
  launchBrowser,
  screenshotPath,
} from '../helpers/browser.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createSession, postTurn } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
let context: BrowserContext
let page: Page
const profile = mkdtempSync(join(tmpdir(), 'agentmux-pwa-profile-'))

/** Headless tabs are never hidden: emulate the page visibility the way a phone reports it. */
const setVisibility = (state: 'hidden' | 'visible') =>
  page.evaluate(`(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${state}' })
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${state === 'hidden'} })
    document.dispatchEvent(new Event('visibilitychange'))
  })()`)

/**
 * A function, not a string: Playwright polls a string predicate through eval, which the page's CSP
 * (no 'unsafe-eval') refuses whenever the first check is false.
 */
const swControlsPage = () =>
  (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator
    .serviceWorker.controller !== null

describe.skipIf(!CHROMIUM)('the installable page', () => {
  beforeAll(async () => {
    assertPageBuilt()
    d = await startTestDaemon()
    // A real profile: Chromium reports incognito contexts (playwright's default) as not installable.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM!,
      args: CHROMIUM_ARGS,
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      timeout: 30_000,
    })
    context.setDefaultTimeout(20_000)
    await context.grantPermissions(['notifications'], { origin: d.url })
    page = context.pages()[0] ?? (await context.newPage())
    await page.goto(`${d.url}/#token=${encodeURIComponent(d.token)}`)
    await page.waitForSelector('[data-view=list]', { timeout: 15_000 })
  })
  afterAll(async () => {
    await context?.close()
    await d?.stop()
    rmSync(profile, { recursive: true, force: true })
  })

  it('has no installability errors, and its service worker controls the page', async () => {
    await page.waitForFunction(swControlsPage, undefined, { timeout: 15_000 })
    const cdp = await context.newCDPSession(page)
    const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] }
    expect(manifest.url).toBe(`${d.url}/manifest.webmanifest`)
    expect(manifest.errors).toEqual([])
    const r = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: unknown[]
    }
    expect(r.installabilityErrors).toEqual([])
    const scope = await page.evaluate('navigator.serviceWorker.ready.then((r) => r.scope)')
    expect(scope).toBe(`${d.url}/`)
    await cdp.detach()
  })

  it('shows a push as a notification tagged <session>:<kind>', async () => {
    const payload = {
      kind: 'turn.ended',
      title: '✓ From the daemon',
      body: 'All done',
      tag: 'ses_x:turn',
      url: `${d.url}/#/s/ses_x`,
      urgent: false,
    }
    const cdp = await context.newCDPSession(page)
    const registrations: { registrationId: string; scopeURL: string }[] = []
    cdp.on(
      'ServiceWorker.workerRegistrationUpdated',
      (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
        registrations.push(...e.registrations)
      }
    )
    await cdp.send('ServiceWorker.enable')
    const reg = await waitUntil(() => registrations.find((x) => x.scopeURL === `${d.url}/`), {
      label: 'the worker registration',
    })
    const shown = await waitUntil(
      async () => {
        // Delivered again on each look: a push that reaches a worker still starting up is dropped
        // by Chromium, and a repeat with the same tag replaces the notification instead of adding one.
        await cdp.send('ServiceWorker.deliverPushMessage', {
          origin: d.url,
          registrationId: reg.registrationId,
          data: JSON.stringify(payload),
        })
        return page
          .evaluate(
            `navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) =>
              list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })))`
          )
          .then((l) => ((l as unknown[]).length > 0 ? l : null))
      },
      { timeoutMs: 15_000, intervalMs: 500, label: 'the notification' }
    )
    expect(shown).toEqual([
      {
        title: '✓ From the daemon',
        body: 'All done',
        tag: 'ses_x:turn',
        data: { url: `${d.url}/#/s/ses_x` },
      },
    ])
    await cdp.detach()
  })

  it('offers "Notify me" in the ⋯ menu', async () => {
    const s = await createSession(d, { title: 'Menu' })
    await page.goto(`${d.url}/#/s/${s.id}`)
    // This session's chat, attached: a click any earlier can land on the view being replaced
    // (a CI run once saw the menu never show its toggle).
    await page.waitForSelector('header .title:text-is("Menu")')
    await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
    await page.click('button[aria-label="Session actions"]')
    const toggle = page.locator('[data-testid=notify-toggle]')
    await toggle.waitFor()
    expect(await toggle.textContent()).toBe('Notify me')
    await page.screenshot({ path: screenshotPath('pwa-menu-360x740.png') })
    await page.keyboard.press('Escape')
  })

  it(
    'titles a hidden tab "✓ <title>" when a turn ends, and restores it when shown',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d, { title: 'Background job' })
      await page.goto(`${d.url}/#/`)
      await page.waitForSelector('[data-view=list]')
      const shownTitle = await page.title()
      // 20 s: the tab is hidden while the turn still runs, also on a loaded machine.
      const turn = await postTurn(d, s.id, 'take a while [slow:20000]')
      await waitUntil(
        async () => (await d.api.get(`/sessions/${s.id}`)).body.status === 'running',
        {
          label: 'the turn running',
        }
      )
      await setVisibility('hidden')
      await waitUntil(async () => (await page.title()) === '✓ Background job', {
        timeoutMs: 60_000,
        label: 'the hidden-tab title',
      })
      expect((await d.api.get(`/sessions/${s.id}/turns`)).body.turns[0].id).toBe(turn.id)
      await setVisibility('visible')
      await waitUntil(async () => (await page.title()) === shownTitle, {
        timeoutMs: 5_000,
        label: 'the title restored',
      })
    }
  )

  it('reattaches the session stream without visible=1 while hidden, and with it when shown again', async () => {
    const s = await createSession(d, { title: 'Presence' })
    await page.goto(`${d.url}/#/s/${s.id}`)
    await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
    const urls: string[] = []
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes(`/sessions/${s.id}/events`)) urls.push(r.url())
    }
    page.on('request', onRequest)
    try {
      await setVisibility('hidden')
      await waitUntil(() => urls.some((u) => !u.includes('visible=1')), {
        label: 'a hidden reattach',
      })
      const n = urls.length
      await setVisibility('visible')
      await waitUntil(() => urls.slice(n).some((u) => u.endsWith('&visible=1')), {
        label: 'a visible reattach',
      })
    } finally {
      page.off('request', onRequest)
    }
  })

  it('says "Add to Home Screen to get notifications" on iOS Safari when not installed', async () => {
    const browser = await launchBrowser()
    const ctx = await browser.newContext({
      viewport: { width: 360, height: 740 },
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      isMobile: true,
      hasTouch: true,
    })
    try {
      const ios = await ctx.newPage()
      await ios.goto(`${d.url}/#token=${encodeURIComponent(d.token)}`)
      await ios.waitForSelector('[data-view=list]')
      const s = await createSession(d, { title: 'iOS' })
      await ios.goto(`${d.url}/#/s/${s.id}`)
      await ios.click('button[aria-label="Session actions"]')
      const hint = ios.locator('[data-testid=notify-ios]')
      await hint.waitFor()
      expect(await hint.textContent()).toBe('Add to Home Screen to get notifications')
      expect(await ios.locator('[data-testid=notify-toggle]').count()).toBe(0)
    } finally {
      await ctx.close()
      await browser.close()
    }
  })

  it('opens from the cached app shell with the daemon gone, and says it is reconnecting', async () => {
    await page.goto(`${d.url}/#/`)
    await page.waitForFunction(swControlsPage)
    await d.stop()
    await page.reload()
    await page.waitForSelector('.pill[data-conn=reconnecting]', { timeout: 20_000 })
    expect(await page.locator('.pill .pill-label').textContent()).toMatch(/^Reconnecting/)
    await page.screenshot({ path: screenshotPath('pwa-offline-360x740.png') })
  })
})
