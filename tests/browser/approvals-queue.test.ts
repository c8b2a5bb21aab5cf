/**
 * Issue 9.10 and 11.5 in Chromium at 360×740: the approval card with the real claude (against the
 * mock Messages API): pinned above the composer, tapped Allow, the same card on a second phone and
 * after a reload, the pending count on the list. And the follow-up queue (fake claude): queued
 * prompts under the running turn, edited, removed, cleared; one-tap resend of a cancelled prompt.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriousViolations } from '../helpers/axe.js'
import {
  CHROMIUM,
  appliedIds,
  assertPageBuilt,
  launchBrowser,
  loginPage,
  newPage,
  openSession,
  renderedIds,
  screenshotPath,
  waitTurnStatus,
  type OpenedPage,
  startPageStack,
  stopPageStack,
} from '../helpers/browser.js'
import type { TestDaemon } from '../helpers/daemon.js'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { createSession, history, postTurn, UNTIL_CANCELLED } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'
import { isCatchupOf } from '../helpers/final-state.js'

describe.skipIf(!CHROMIUM)('approval cards with the real claude (issue 9.10)', () => {
  let stack: RealStack
  let browser: Browser
  let p: OpenedPage
  let q: OpenedPage
  beforeAll(async () => {
    assertPageBuilt()
    stack = await startRealStack()
    browser = await launchBrowser()
    p = await newPage(browser)
    q = await newPage(browser)
    await loginPage(stack.d, p)
    await loginPage(stack.d, q)
  })
  afterAll(async () => {
    await p?.close()
    await q?.close()
    await browser?.close()
    await stack?.stop()
  })

  it(
    'taps Allow once on the pinned card; the other phone and a reload show how it ended; the list counts it',
    { timeout: 180_000 },
    async () => {
      const { d } = stack
      const { page } = p
      const s = await createSession(d, { title: 'approve me' })
      await openSession(p, d, s.id)
      // The second phone watches the list.
      await q.page.goto(`${d.url}/#/`)
      await q.page.waitForSelector(`.srow[data-session-id="${s.id}"]`)

      await page.fill('textarea.prompt', 'go [tool:bash touch approved-on-the-page.txt]')
      await page.click('button.send')
      const pinned = page.locator('.pin .approval[data-state=pending]')
      await pinned.waitFor({ timeout: 60_000 })
      await expect(pinned.locator('.approval-head').textContent()).resolves.toBe(
        '!claude wants to use Bash'
      )
      await expect(pinned.locator('.approval-summary').textContent()).resolves.toBe(
        'touch approved-on-the-page.txt'
      )
      // The same card sits in the chat where the request happened.
      const inLog = page.locator('.log .approval[data-kind="permission.requested"]')
      expect(await inLog.count()).toBe(1)
      // …as a stub while pending: the pinned copy is the one to answer, shown once on the screen.
      expect(await inLog.locator('.approval-waiting').isVisible()).toBe(true)
      expect(await inLog.locator('.approval-summary').isVisible()).toBe(true)
      expect(await inLog.locator('button:visible, details:visible').count()).toBe(0)
      await expect(page.locator('.working').textContent()).resolves.toContain(
        'waiting for your answer'
      )
      await waitUntil(
        async () =>
          (await q.page.textContent(`.srow[data-session-id="${s.id}"] .badge`))?.includes(
            'needs you'
          ),
        { label: 'the pending count on the list' }
      )
      expect(await seriousViolations(page)).toEqual([])
      await page.screenshot({ path: screenshotPath('approval-pending-360x740.png') })

      await pinned.locator('button[data-answer=allow-once]').tap()
      await waitTurnStatus(page, 'completed', 60_000)
      expect(await page.locator('.pin .approval').count()).toBe(0)
      await expect(page.locator('.log .approval-outcome').textContent()).resolves.toBe(
        'Allowed once.'
      )
      // Answered, the card in the chat shows what was asked in full, without the stub's line.
      expect(await inLog.locator('.approval-waiting').count()).toBe(0)
      expect(await inLog.locator('details.approval-input').isVisible()).toBe(true)
      expect(existsSync(join(s.cwd, 'approved-on-the-page.txt'))).toBe(true)
      await waitUntil(
        async () =>
          !(await q.page.textContent(`.srow[data-session-id="${s.id}"] .badge`))?.includes(
            'needs you'
          ),
        { label: 'the count to go' }
      )
      await page.screenshot({
        path: screenshotPath('approval-allowed-360x740.png'),
        fullPage: true,
      })

      // The other phone opens the session: the card is rebuilt from the log, answered elsewhere.
      await openSession(q, d, s.id)
      await expect(q.page.locator('.log .approval-outcome').textContent()).resolves.toBe(
        'Allowed once on another device.'
      )
      expect(await q.page.locator('.log .approval[data-state=allowed]').count()).toBe(1)
      // A reload of the first phone rebuilds the same card; every event is drawn once.
      await page.reload()
      await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
      expect(await page.locator('.log .approval[data-state=allowed]').count()).toBe(1)
      const h = await history(d, s.id)
      // The reload attaches in catch-up mode: superseded deltas may be skipped, nothing else.
      const applied = await appliedIds(page)
      expect(isCatchupOf(applied, h)).toBe(true)
      // Every event drawn exactly once (a tool's result sits inside its card, above the approval).
      expect((await renderedIds(page)).sort((x, y) => x - y)).toEqual(
        h.filter((e) => e.kind !== 'text.delta').map((e) => e.id)
      )
    }
  )

  it(
    'a question card: the options as buttons; a tap answers; a denied tool card with a message',
    { timeout: 180_000 },
    async () => {
      const { d } = stack
      const { page } = p
      const s = await createSession(d, { title: 'ask me' })
      await openSession(p, d, s.id)
      await page.fill('textarea.prompt', 'pick one [tool:ask Which color?|red|blue]')
      await page.click('button.send')
      const pinned = page.locator('.pin .approval[data-state=pending]')
      await pinned.waitFor({ timeout: 60_000 })
      await expect(pinned.locator('.approval-q').textContent()).resolves.toBe('Which color?')
      const stub = page.locator('.log .approval[data-state=pending]')
      expect(await stub.locator('.approval-q').isVisible()).toBe(true)
      expect(await stub.locator('button:visible, input:visible').count()).toBe(0)
      expect(await pinned.locator('.approval-options button').allTextContents()).toEqual([
        'red',
        'blue',
      ])
      await page.screenshot({ path: screenshotPath('approval-question-360x740.png') })
      await pinned.locator('button[data-option=blue]').tap()
      await waitTurnStatus(page, 'completed', 60_000)
      await expect(page.locator('.log .approval-outcome').last().textContent()).resolves.toBe(
        'Answered: blue'
      )
      const resolved = (await history(d, s.id)).find((e) => e.kind === 'permission.resolved')
      expect(resolved).toMatchObject({ answers: { 'Which color?': 'blue' } })

      await page.fill('textarea.prompt', 'go [tool:bash touch not-this-one.txt]')
      await page.click('button.send')
      await pinned.waitFor({ timeout: 60_000 })
      await pinned.locator('button[data-answer=deny]').tap()
      await pinned.locator('textarea.approval-message').fill('not from the phone')
      await pinned.locator('button[data-answer=deny-confirm]').tap()
      await waitTurnStatus(page, 'completed', 60_000)
      await expect(page.locator('.log .approval-outcome').last().textContent()).resolves.toBe(
        'Denied: “not from the phone”'
      )
      expect(existsSync(join(s.cwd, 'not-this-one.txt'))).toBe(false)
    }
  )

  it('a plan card shows the plan and approves it', { timeout: 180_000 }, async () => {
    const { d } = stack
    const { page } = p
    const s = await createSession(d, { title: 'plan it', permissionMode: 'plan' })
    await openSession(p, d, s.id)
    await page.fill('textarea.prompt', 'plan it [tool:plan 1. write tests 2. ship]')
    await page.click('button.send')
    const pinned = page.locator('.pin .approval[data-state=pending]')
    await pinned.waitFor({ timeout: 60_000 })
    await expect(pinned.locator('.approval-head').textContent()).resolves.toContain('has a plan')
    await expect(pinned.locator('.approval-plan').textContent()).resolves.toContain('write tests')
    expect(await pinned.locator('.approval-expiry').count()).toBe(0)
    await page.screenshot({ path: screenshotPath('approval-plan-360x740.png') })
    await pinned.locator('button[data-answer=allow-once]').tap()
    await waitTurnStatus(page, 'completed', 60_000)
    await expect(page.locator('.log .approval-outcome').last().textContent()).resolves.toBe(
      'Plan approved.'
    )
  })
})

describe.skipIf(!CHROMIUM)('the follow-up queue in the page (issue 11.5)', () => {
  let d: TestDaemon
  let browser: Browser
  let p: OpenedPage
  beforeAll(async () => {
    ;({ d, browser, p } = await startPageStack())
  })
  afterAll(() => stopPageStack({ p, browser, d }))

  it('shows queued prompts under the running turn; edits, removes and clears them; resends a cancelled prompt', async () => {
    const { page } = p
    const s = await createSession(d, { title: 'queue' })
    await openSession(p, d, s.id)
    const first = `first, slowly ${UNTIL_CANCELLED}`
    await page.fill('textarea.prompt', first)
    await page.click('button.send')
    await page.waitForSelector('.assistant.streaming')
    for (const text of ['second prompt', 'third prompt', 'fourth prompt']) {
      await page.fill('textarea.prompt', text)
      await page.click('button.send')
      await page.waitForSelector(`.queue-item:has-text("${text}")`)
    }
    expect(await page.locator('.queue-item .queue-text').allTextContents()).toEqual([
      'second prompt',
      'third prompt',
      'fourth prompt',
    ])
    // The queue sits under the running turn.
    const logBox = (await page.locator('.log').boundingBox())!
    const queueBox = (await page.locator('.queue').boundingBox())!
    expect(queueBox.y).toBeGreaterThanOrEqual(logBox.y + logBox.height - 1)
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: screenshotPath('queue-360x740.png') })

    // Edit the second, remove the third.
    const second = page.locator('.queue-item').nth(0)
    await second.locator('button[data-action=edit]').click()
    await second.locator('textarea.queue-edit').fill('second prompt, edited')
    await second.locator('button[data-action=save]').click()
    await waitUntil(
      async () => (await second.locator('.queue-text').textContent()) === 'second prompt, edited',
      { label: 'the edit' }
    )
    await page.locator('.queue-item').nth(1).locator('button[data-action=remove]').click()
    await waitUntil(async () => (await page.locator('.queue-item').count()) === 2, {
      label: 'the removal',
    })
    const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns as {
      prompt: string
      status: string
    }[]
    expect(turns.filter((t) => t.status === 'queued').map((t) => t.prompt)).toEqual([
      'second prompt, edited',
      'fourth prompt',
    ])

    // ⋯ → Clear queue: the queued ones go, the running turn goes on.
    await page.click('button[aria-label="Session actions"]')
    await page.click('[data-action=clear-queue]')
    await waitUntil(async () => (await page.locator('.queue-item').count()) === 0, {
      label: 'the queue to clear',
    })
    expect(await page.locator('.queue').isHidden()).toBe(true)
    expect((await d.api.get(`/sessions/${s.id}`)).body.status).toBe('running')

    // Cancel the running turn: its ending offers the prompt again, one tap.
    await page.click('.turnbar button.cancel')
    await waitTurnStatus(page, 'cancelled', 20_000)
    const resend = page.locator('.turn button.resend').last()
    await resend.tap()
    await waitUntil(
      async () => {
        const t = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns as {
          prompt: string
          status: string
        }[]
        return t.filter((x) => x.prompt === first).length === 2
      },
      { label: 'the resent prompt' }
    )
    await waitTurnStatus(page, 'running')
    await page.click('.turnbar button.cancel')
    await waitTurnStatus(page, 'cancelled', 20_000)
  })

  it('a paused queue says why and resumes with one tap', { timeout: 120_000 }, async () => {
    const { page } = p
    const s = await createSession(d, { title: 'paused' })
    await openSession(p, d, s.id)
    // 20 s before it fails: the next prompt is still queued behind it, also on a loaded machine.
    await postTurn(d, s.id, 'fails [slow:20000] [exit:3]')
    await postTurn(d, s.id, 'waits behind it')
    await page.waitForSelector('.queue-paused:not([hidden])', { timeout: 60_000 })
    await expect(page.textContent('.queue-paused')).resolves.toMatch(/Paused: the last turn failed/)
    await page.click('.queue-paused button[data-action=resume]')
    await waitUntil(async () => (await page.locator('.queue-item').count()) === 0, {
      label: 'the queued prompt to start',
    })
    await waitTurnStatus(page, 'completed', 30_000)
    await expect(page.locator('.item.user .user-text').last().textContent()).resolves.toBe(
      'waits behind it'
    )
  })
})
