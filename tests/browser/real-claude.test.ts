/** The page driving the real claude 2.1.330 binary (against the mock Messages API, offline). */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CHROMIUM,
  appliedIds,
  assertPageBuilt,
  launchBrowser,
  loginPage,
  newPage,
  renderedIds,
  waitTurnStatus,
  type OpenedPage,
} from '../helpers/browser.js'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { history } from '../helpers/session.js'

let stack: RealStack
let browser: Browser
let p: OpenedPage

describe.skipIf(!CHROMIUM)('the page with the real claude', () => {
  beforeAll(async () => {
    assertPageBuilt()
    stack = await startRealStack()
    browser = await launchBrowser()
    p = await newPage(browser)
    await loginPage(stack.d, p)
  })
  afterAll(async () => {
    await p?.close()
    await browser?.close()
    await stack?.stop()
  })

  it('creates a session, runs a markdown turn and a Bash tool turn, all rendered from the events', async () => {
    const { d } = stack
    const { page } = p
    await page.click('button.new-session')
    await page.fill('dialog[data-testid=new-session] input[name=title]', 'real claude')
    await page.fill('dialog[data-testid=new-session] input[name=allowedTools]', 'Bash')
    await page.click('dialog[data-testid=new-session] button[type=submit]')
    await page.waitForSelector('[data-view=chat] .log[data-caught-up=true]', { state: 'attached' })
    const sid = (await page.getAttribute('.log', 'data-session-id'))!

    await page.fill('textarea.prompt', 'hello from the page')
    await page.click('button.send')
    await page.waitForSelector('.item[data-kind="turn.ended"]', { timeout: 60_000 })
    await waitTurnStatus(page, 'completed')
    await expect(page.locator('.item[data-kind=text] .md').last().innerText()).resolves.toBe(
      'ECHO: hello from the page'
    )
    await expect(page.textContent('.item[data-kind="turn.result"]')).resolves.toMatch(
      /^\$[\d.]+ · /
    )

    await page.fill('textarea.prompt', 'format it [markdown]')
    await page.click('button.send')
    await page.waitForFunction(
      () =>
        (globalThis as any).document.querySelectorAll('.item[data-kind="turn.ended"]').length === 2,
      null,
      { timeout: 60_000 }
    )
    const md = page.locator('.item[data-kind=text] .md').last()
    expect(await md.locator('table').count()).toBe(1)
    expect(await md.locator('pre code').count()).toBe(1)

    await page.fill('textarea.prompt', 'run it [tool:bash echo hello-from-real-bash]')
    await page.click('button.send')
    await page.waitForSelector('details.tool[data-tool-state=ok]', { timeout: 60_000 })
    await waitTurnStatus(page, 'completed', 60_000)
    const card = page.locator('details.tool').first()
    await expect(card.locator('.tool-name').textContent()).resolves.toBe('Bash')
    await expect(card.locator('.tool-sum').textContent()).resolves.toBe('echo hello-from-real-bash')
    await expect(card.locator('.tool-result pre').textContent()).resolves.toContain(
      'hello-from-real-bash'
    )

    const h = await history(d, sid)
    expect(await appliedIds(page)).toEqual(h.map((e) => e.id))
    expect(await renderedIds(page)).toEqual(
      h.filter((e) => e.kind !== 'text.delta').map((e) => e.id)
    )
    expect(p.errors).toEqual([])
  })
})
