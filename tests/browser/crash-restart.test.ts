/** Issue 5's promise, seen by the user: kill -9 mid-turn, start again, the page finishes the turn. */
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'
import { createApi } from '../helpers/api.js'
import {
  CHROMIUM,
  assertPageBuilt,
  launchBrowser,
  newPage,
  renderedIds,
  waitTurnStatus,
} from '../helpers/browser.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { realClaudeDaemonEnv } from '../helpers/real-claude.js'
import { withTimeout } from '../helpers/wait.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN
let mock: MockAnthropic
let browser: Browser

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe.skipIf(!CHROMIUM)('kill -9 of the daemon mid-turn, in the page', () => {
  beforeAll(async () => {
    assertPageBuilt()
    mock = await startMockAnthropic()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await mock?.close()
  })

  it(
    'the turn finishes in the page after the daemon comes back, without the user doing anything',
    { timeout: 180_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-page-crash-'))
      const port = await freePort()
      const start = () =>
        spawnDaemon({
          dataDir,
          env: {
            AGENTMUX_PORT: String(port),
            ...realClaudeDaemonEnv(mock.url),
          },
        })
      let daemon: DaemonProcess = await start()
      const p = await newPage(browser)
      try {
        const { page } = p
        const s = (await createApi(daemon.url, TOKEN).post('/sessions', { title: 'crash me' })).body
        await page.goto(`${daemon.url}/#token=${TOKEN}`)
        await page.waitForSelector('[data-view=list]')
        await page.goto(`${daemon.url}/#/s/${s.id}`)
        await page.waitForSelector('.log[data-caught-up=true]', { state: 'attached' })
        // 20 s: the kill lands mid-turn, also on a loaded machine (a turn over before it would make
        // this test pass without testing the adoption).
        await page.fill('textarea.prompt', 'tell me a long story [slow:20000]')
        await page.click('button.send')
        await page.waitForFunction(
          () =>
            (
              (globalThis as any).document.querySelector('.item[data-kind=text], .item.streaming')
                ?.textContent ?? ''
            ).includes('SLOW'),
          null,
          { timeout: 30_000 }
        )

        daemon.child.kill('SIGKILL')
        await withTimeout(daemon.exited, 10_000, 'the daemon to die')
        daemon = await start()

        // No click, no reload: the page reconnects and the adopted turn ends in front of the user.
        await waitTurnStatus(page, 'completed', 60_000)
        const text = await page.locator('.item[data-kind=text] .md').last().innerText()
        expect(text.startsWith('ECHO: tell me a long story [slow:20000]')).toBe(true)
        const log = (await createApi(daemon.url, TOKEN).get(`/sessions/${s.id}/history?limit=1000`))
          .body.events
        expect(await renderedIds(page)).toEqual(
          log
            .filter((e: { kind: string }) => e.kind !== 'text.delta')
            .map((e: { id: number }) => e.id)
        )
      } finally {
        await p.close()
        daemon.child.kill('SIGTERM')
        await withTimeout(daemon.exited, 15_000, 'exit')
      }
    }
  )
})
