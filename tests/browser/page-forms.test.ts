/**
 * Issue 12 points 10-15 and 17 in Chromium at 360×740 against a real daemon (fake claude): the
 * folder picker and the new-session form, long-session navigation, `#token=` in an open tab, a
 * cancel tapped offline, the connection dot, the model/mode/tools row; and axe-core on the list,
 * chat and dialog views.
 */
import { mkdirSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriousViolations } from '../helpers/axe.js'
import {
  CHROMIUM,
  newPage,
  openSession,
  screenshotPath,
  waitTurnStatus,
  type OpenedPage,
  startPageStack,
  stopPageStack,
} from '../helpers/browser.js'
import type { TestDaemon } from '../helpers/daemon.js'
import { createSession, runTurn, UNTIL_CANCELLED } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

// Callbacks passed to page.evaluate run in the browser; the root tsconfig has no DOM lib.
declare const window: any
declare const document: any
declare const getComputedStyle: any

let d: TestDaemon
let browser: Browser
let p: OpenedPage

describe.skipIf(!CHROMIUM)('the phone page: forms, navigation, connection (issue 12)', () => {
  beforeAll(async () => {
    ;({ d, browser, p } = await startPageStack({
      beforeLogin: async (s) => {
        mkdirSync(join(s.d.dataDir, 'projects', 'alpha'), { recursive: true })
      },
    }))
  })
  afterAll(() => stopPageStack({ p, browser, d }))

  it('10: the form opens without the keyboard, picks a folder over the roots, remembers it, labels the modes', async () => {
    const { page } = p
    await page.goto(`${d.url}/#/`)
    await page.click('button.new-session')
    const dlg = page.locator('dialog[data-testid=new-session]')
    await dlg.waitFor()
    // No text field has the focus, so no keyboard covers the form.
    expect(await page.evaluate(() => document.activeElement?.tagName)).not.toMatch(
      /INPUT|TEXTAREA|SELECT/
    )
    const options = await dlg.locator('select[name=permissionMode] option').allTextContents()
    await waitUntil(
      async () => (await dlg.locator('select[name=permissionMode] option').count()) > 1,
      { label: 'the modes' }
    )
    const labels = await dlg.locator('select[name=permissionMode] option').allTextContents()
    expect(labels).toContain('Edit files without asking')
    expect(labels.some((l) => /bypass/i.test(l))).toBe(userInfo().uid !== 0)
    expect(options.length).toBeGreaterThanOrEqual(1)

    await dlg.locator('button', { hasText: 'Browse…' }).click()
    const picker = dlg.locator('[data-testid=dir-picker]')
    await picker.locator('.picker-dir').first().waitFor()
    await picker.locator('.picker-dir').first().click()
    await picker.locator('.picker-dir', { hasText: 'projects' }).click()
    await picker.locator('.picker-dir', { hasText: 'alpha' }).click()
    await waitUntil(
      async () => (await picker.locator('.picker-path').textContent())?.endsWith('/projects/alpha'),
      { label: 'the picker in alpha' }
    )
    await page.screenshot({ path: screenshotPath('trial-picker-360x740.png') })
    await picker.locator('button', { hasText: 'Use this folder' }).click()
    expect(await dlg.locator('input[name=cwd]').inputValue()).toMatch(/\/projects\/alpha$/)
    await dlg.locator('select[name=permissionMode]').selectOption('plan')
    await dlg.locator('button[type=submit]').click()
    await page.waitForSelector('[data-view=chat] .log[data-caught-up=true]', { state: 'attached' })
    const sid = (await page.getAttribute('.log', 'data-session-id'))!
    expect((await d.api.get(`/sessions/${sid}`)).body).toMatchObject({
      permissionMode: 'plan',
      cwd: expect.stringMatching(/\/projects\/alpha$/),
    })

    // Next time: the folder is offered as a recent one; a folder outside the roots names the roots.
    await page.goto(`${d.url}/#/`)
    await page.click('button.new-session')
    await dlg.locator('.chip', { hasText: 'alpha' }).click()
    expect(await dlg.locator('input[name=cwd]').inputValue()).toMatch(/\/projects\/alpha$/)
    await dlg.locator('input[name=cwd]').fill('/')
    await dlg.locator('button[type=submit]').click()
    await expect(dlg.locator('.form-error:not([hidden])').textContent()).resolves.toContain(
      `outside the allowed roots (`
    )
    await dlg.locator('button', { hasText: 'Cancel' }).click()
  })

  it('11: find in session, jump between prompts, collapse old turns and open one again', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'navigate' })
    await runTurn(d, s.id, 'first needle-alpha [big:6]')
    await runTurn(d, s.id, 'second [tool:seq 1 60]')
    await runTurn(d, s.id, 'third one')
    await openSession(p, d, s.id)
    await page.click('button[aria-label="Session actions"]')
    await page.click('[data-action=find]')
    await page.fill('input.find-input', 'needle-alpha')
    await page.waitForSelector('.hit-current')
    await expect(page.textContent('.find-count')).resolves.toMatch(/^1 of [12]$/)
    const inView = await page.evaluate(() => {
      const r = document.querySelector('.hit-current').getBoundingClientRect()
      return r.bottom > 0 && r.top < window.innerHeight
    })
    expect(inView).toBe(true)
    await page.screenshot({ path: screenshotPath('trial-find-360x740.png') })

    // With an empty search ↑ and ↓ walk the prompts.
    await page.fill('input.find-input', '')
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
    await page.click('.findbar .nav-prev')
    // The prompt that sits just under the sticky header.
    const topPrompt = () =>
      page.evaluate(() => {
        const top = document.querySelector('header.top').getBoundingClientRect().bottom + 8
        const ps = [...document.querySelectorAll('.item.user')] as any[]
        return ps.findIndex((el) => Math.abs(el.getBoundingClientRect().top - top) < 12)
      })
    const k = await waitUntil(
      async () => {
        const i = await topPrompt()
        return i >= 1 ? i : null
      },
      { label: 'a later prompt at the top' }
    )
    await page.click('.findbar .nav-prev')
    await waitUntil(async () => (await topPrompt()) === k - 1, {
      label: 'the prompt before it at the top',
    })
    await page.click('.findbar .nav-next')
    await waitUntil(async () => (await topPrompt()) === k, { label: 'and the next one again' })
    await page.click('.findbar button[aria-label="Close find"]')

    await page.click('button[aria-label="Session actions"]')
    await page.click('[data-action=collapse]')
    await page.waitForSelector('.turn[data-collapsed=true]')
    expect(await page.locator('.turn[data-collapsed=true]').count()).toBe(2)
    const first = page.locator('.turn').first()
    expect(await first.locator('.item[data-kind=text]').isVisible()).toBe(false)
    expect(await first.locator('.item.user').isVisible()).toBe(true)
    await first.locator('.turn-toggle').click()
    expect(await first.locator('.item[data-kind=text]').isVisible()).toBe(true)
  })

  it('12: #token= in a tab that is already open logs in', async () => {
    const q = await newPage(browser)
    try {
      await q.page.goto(`${d.url}/`)
      await q.page.waitForSelector('input[name=token]')
      await q.page.evaluate(
        (t) => (window.location.hash = `#token=${encodeURIComponent(t)}`),
        d.token
      )
      await q.page.waitForSelector('[data-view=list]')
      expect(q.page.url()).not.toContain('token')
    } finally {
      await q.close()
    }
  })

  it('13: a cancel tapped while the daemon is unreachable is kept and sent when it is back', async () => {
    const { page, context } = p
    const s = await createSession(d, { title: 'offline cancel' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', `keep going ${UNTIL_CANCELLED}`)
    await page.click('button.send')
    await page.waitForSelector('.assistant.streaming')
    await context.setOffline(true)
    try {
      await page.click('.turnbar button.cancel')
      await page.waitForSelector('.turnbar[data-cancel-queued=true]')
      await expect(page.textContent('.turnbar-text')).resolves.toMatch(/Cancel not sent yet/)
      // The banner says the connection is gone.
      await page.waitForSelector('.conn-banner:not([hidden])')
      await page.screenshot({ path: screenshotPath('trial-offline-cancel-360x740.png') })
      expect((await d.api.get(`/sessions/${s.id}`)).body.status).toBe('running')
    } finally {
      await context.setOffline(false)
    }
    await waitTurnStatus(page, 'cancelled', 30_000)
    const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns
    expect(turns.map((t: { status: string }) => t.status)).toEqual(['cancelled'])
  })

  it('14, 15: the title keeps the width (a dot, not a pill); model, mode and tools show and change through ⋯', async () => {
    const { page } = p
    const s = await createSession(d, {
      title: 'fix the tests please',
      model: 'sonnet',
      permissionMode: 'acceptEdits',
      allowedTools: ['Bash', 'Read'],
    })
    await openSession(p, d, s.id)
    await page.waitForSelector('.pill[data-conn=live]')
    expect(
      await page.evaluate(() => {
        const t = document.querySelector('header .title')
        return t.scrollWidth <= t.clientWidth
      })
    ).toBe(true)
    expect((await page.locator('.pill').boundingBox())!.width).toBeLessThanOrEqual(30)
    await expect(page.textContent('[data-testid=session-meta]')).resolves.toBe(
      'on test-host · sonnet · edits freely · Bash, Read'
    )
    await page.click('button[aria-label="Session actions"]')
    await page.click('[data-action=settings]')
    const dlg = page.locator('dialog[data-testid=settings]')
    await waitUntil(
      async () => (await dlg.locator('select[name=permissionMode] option').count()) > 1,
      { label: 'the modes' }
    )
    await dlg.locator('select[name=permissionMode]').selectOption('plan')
    await dlg.locator('input[name=model]').fill('opus')
    await dlg.locator('button[type=submit]').click()
    await waitUntil(
      async () =>
        (await page.textContent('[data-testid=session-meta]')) ===
        'on test-host · opus · plan only · Bash, Read',
      { label: 'the header row to update' }
    )
    expect((await d.api.get(`/sessions/${s.id}`)).body).toMatchObject({
      model: 'opus',
      permissionMode: 'plan',
      allowedTools: ['Bash', 'Read'],
    })
    await page.screenshot({ path: screenshotPath('trial-header-360x740.png') })
  })

  it('17 and axe: meta text is at least 13 px; no serious or critical violations on the list, chat and dialog', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'a11y' })
    await runTurn(d, s.id, 'check [tool:echo hi] [denied:Write] [markdown]')
    await page.goto(`${d.url}/#/`)
    await page.waitForSelector('.srow')
    expect(await seriousViolations(page)).toEqual([])
    const small = await page.evaluate(
      () =>
        [...document.querySelectorAll('.srow-meta, .badge')].filter(
          (e: any) => parseFloat(getComputedStyle(e).fontSize) < 13
        ).length
    )
    expect(small).toBe(0)

    await openSession(p, d, s.id)
    await page.waitForSelector('.item[data-kind="turn.ended"]')
    const tiny = await page.evaluate(
      () =>
        [
          ...document.querySelectorAll('.result, .ended, .stamp, .notice, .tool-label, .turnbar'),
        ].filter((e: any) => parseFloat(getComputedStyle(e).fontSize) < 13).length
    )
    expect(tiny).toBe(0)
    for (const el of await page.locator('details.tool').all()) await el.locator('summary').click()
    expect(await seriousViolations(page)).toEqual([])

    await page.click('button[aria-label="Session actions"]')
    await page.waitForSelector('dialog[data-testid=session-actions]')
    expect(await seriousViolations(page)).toEqual([])
    await page.keyboard.press('Escape')
    await page.goto(`${d.url}/#/`)
    await page.click('button.new-session')
    await page.waitForSelector('dialog[data-testid=new-session]')
    expect(await seriousViolations(page)).toEqual([])
  })
})
