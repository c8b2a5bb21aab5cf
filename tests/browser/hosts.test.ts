/**
 * The page with two hosts on one PostgreSQL database (issue 14.2): the list and the chat show each
 * session's host, and say so when that host goes offline.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { CHROMIUM, startPageStack, stopPageStack, type PageStack } from '../helpers/browser.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createSession } from '../helpers/session.js'
import { TEST_BACKEND, testDatabaseUrl } from '../helpers/test-database.js'

const BEAT_MS = 200
let stack: Partial<PageStack> = {}
let other: TestDaemon | null = null
afterAll(async () => {
  await other?.stop()
  await stopPageStack(stack)
})

describe.skipIf(!CHROMIUM || TEST_BACKEND !== 'postgres')('the page with two hosts', () => {
  it("lists both hosts' sessions with their host, and says when one is offline", async () => {
    stack = await startPageStack({ daemon: { config: { hostId: 'laptop', heartbeatMs: BEAT_MS } } })
    const { d, p } = stack as PageStack
    other = await startTestDaemon({
      config: {
        databaseUrl: testDatabaseUrl(d.dataDir),
        hostId: 'buildbox',
        heartbeatMs: BEAT_MS,
      },
    })
    await createSession(d, { title: 'here on the laptop' })
    const away = await createSession(other, { title: 'away on the buildbox' })
    const row = (title: string) => p.page.locator('li', { hasText: title })
    await row('away on the buildbox').waitFor({ timeout: 15_000 })
    await expect.poll(() => row('here on the laptop').innerText()).toContain('laptop')
    await expect.poll(() => row('away on the buildbox').innerText()).toContain('buildbox')

    await other.stop()
    other = null
    await expect
      .poll(() => row('away on the buildbox').getAttribute('data-host-offline'), {
        timeout: 15_000,
      })
      .toBe('true')
    expect(await row('away on the buildbox').innerText()).toContain('buildbox offline')
    expect(await row('here on the laptop').getAttribute('data-host-offline')).toBe('false')

    await p.page.goto(`${d.url}/#/s/${away.id}`)
    await expect
      .poll(() => p.page.locator('[data-host-offline="true"]').first().innerText(), {
        timeout: 15_000,
      })
      .toContain('buildbox is offline')
  })
})
