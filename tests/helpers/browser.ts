/**
 * A real Chromium for the page tests (playwright-core, no bundled browser: Debian's chromium).
 * Without a chromium the browser tests are skipped, loudly.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core'
import { startTestDaemon, type TestDaemon } from './daemon.js'

const here = dirname(fileURLToPath(import.meta.url))
export const ARTIFACTS = resolve(here, '../artifacts')
export const WEB_DIST = resolve(here, '../../web/dist')
/** The page built with its test hooks (window.agentmux); see web/build.mjs. */
export const WEB_TEST_BUNDLE = resolve(here, '../../web/dist-test/app.js')

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

/** The chromium executable, or null (then the tests skip). AGENTMUX_CHROMIUM overrides. */
export function findChromium(): string | null {
  const candidates = [
    process.env.AGENTMUX_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ]
  for (const c of candidates) if (c && existsSync(c)) return c
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim()
      if (p) return p
    } catch {
      // not on PATH
    }
  }
  return null
}

export const CHROMIUM = findChromium()
if (!CHROMIUM) {
  console.warn(
    '\n!!! agentmux browser tests SKIPPED: no chromium found (looked at $AGENTMUX_CHROMIUM, /usr/bin/chromium, PATH). ' +
      'Install chromium (apt-get install chromium) to run tests/browser. !!!\n'
  )
}

export function assertPageBuilt(): void {
  if (!existsSync(join(WEB_DIST, 'index.html')) || !existsSync(WEB_TEST_BUNDLE))
    throw new Error('web/dist is not built: run `npm run build` first')
}

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no chromium')
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
}

export interface PageOpts {
  width?: number
  height?: number
  colorScheme?: 'light' | 'dark'
}

export interface OpenedPage {
  context: BrowserContext
  page: Page
  /** Every request the page made. */
  requests: Request[]
  /** Console errors and page errors (uncaught exceptions). */
  errors: string[]
  close(): Promise<void>
}

/** A fresh context (own cookies and storage) on a phone-sized viewport. */
export async function newPage(browser: Browser, opts: PageOpts = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 360, height: opts.height ?? 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: opts.colorScheme ?? 'light',
  })
  context.setDefaultTimeout(20_000)
  // The production script has no test hooks: the tests run the same page built with them.
  await context.route(/\/assets\/app-[^/]+\.js$/, (route) =>
    route.fulfill({ path: WEB_TEST_BUNDLE, contentType: 'text/javascript; charset=utf-8' })
  )
  const page = await context.newPage()
  const requests: Request[] = []
  const errors: string[] = []
  page.on('request', (r) => requests.push(r))
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return { context, page, requests, errors, close: () => context.close() }
}

/** Opens the page with the token in the fragment and waits for the session list. */
export async function loginPage(d: TestDaemon, p: OpenedPage): Promise<void> {
  await p.page.goto(`${d.url}/#token=${encodeURIComponent(d.token)}`)
  await p.page.waitForSelector('[data-view=list]', { timeout: 15_000 })
}

/** A daemon, a browser and a logged-in phone page: what every page test file starts with. */
export interface PageStack {
  d: TestDaemon
  browser: Browser
  p: OpenedPage
}

/**
 * Starts a page stack. `beforeLogin` runs on the fresh page (permissions, files the test needs).
 * What was started before a failure is stopped again, so a broken start leaks nothing.
 */
export async function startPageStack(
  opts: {
    page?: PageOpts
    beforeLogin?: (s: PageStack) => Promise<void>
    daemon?: Parameters<typeof startTestDaemon>[0]
  } = {}
): Promise<PageStack> {
  assertPageBuilt()
  const started: Partial<PageStack> = {}
  try {
    started.d = await startTestDaemon(opts.daemon)
    started.browser = await launchBrowser()
    started.p = await newPage(started.browser, opts.page)
    const stack = started as PageStack
    await opts.beforeLogin?.(stack)
    await loginPage(stack.d, stack.p)
    return stack
  } catch (err) {
    await stopPageStack(started)
    throw err
  }
}

export async function stopPageStack(s: Partial<PageStack>): Promise<void> {
  await s.p?.close()
  await s.browser?.close()
  await s.d?.stop()
}

export async function openSession(p: OpenedPage, d: TestDaemon, id: string): Promise<void> {
  await p.page.goto(`${d.url}/#/s/${id}`)
  await p.page.waitForSelector('.log[data-caught-up=true]', { timeout: 15_000, state: 'attached' })
}

/** The ids of the rendered events of the open chat, in DOM order. */
export async function renderedIds(page: Page): Promise<number[]> {
  return page.$$eval('.log [data-event-id]', (els) =>
    els.map((e) => Number(e.getAttribute('data-event-id')))
  )
}

/** Every event id the open chat applied, in order (window.agentmux.applied()). */
export async function appliedIds(page: Page): Promise<number[]> {
  return page.evaluate('window.agentmux.applied()') as Promise<number[]>
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}

/** Waits for the chat's turn bar to show a status (running, cancelling, completed, cancelled…). */
export async function waitTurnStatus(page: Page, status: string, timeout = 30_000): Promise<void> {
  await page.waitForSelector(`.turnbar[data-turn-status="${status}"]`, { timeout })
}
