import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { createSession, history, runTurn } from '../helpers/session.js'
import { createTmux } from '../helpers/tmux.js'
import { waitUntil } from '../helpers/wait.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')

let stack: RealStack
const tmux = createTmux()
beforeAll(async () => {
  stack = await startRealStack()
})
afterAll(async () => {
  tmux.kill()
  await stack?.stop()
})

const clientEnv = (extra: Record<string, string> = {}) => ({
  AGENTMUX_URL: stack.d.url,
  AGENTMUX_TOKEN: stack.d.token,
  ...extra,
})

describe('agentmux attach in a real terminal (tmux)', () => {
  it(
    'replays the last turn with rendered markdown and colour, streams the next, and Ctrl-C detaches without cancelling',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(stack.d, { title: 'tmux one' })
      await runTurn(stack.d, s.id, 'an earlier turn')
      await runTurn(stack.d, s.id, 'show me [markdown]')
      tmux.start('a', [process.execPath, MAIN, 'attach', 'tmux one'], clientEnv())
      const screen = await tmux.waitForScreen(
        'a',
        (t) => t.includes('── completed'),
        'the replayed turn'
      )
      // Only the last turn is replayed.
      expect(screen).toContain('› show me [markdown]')
      expect(screen).not.toContain('an earlier turn')
      // Markdown is rendered: bullets and a code frame, no raw markers.
      expect(screen).toMatch(/^\s*• /m)
      expect(screen).toContain('┌──')
      expect(screen).not.toContain('```')
      expect(screen).not.toMatch(/^#+ /m)
      // A terminal gets colour.
      expect(tmux.capture('a', true)).toContain('\x1b[')

      // 20 s: Ctrl-C comes while the turn runs, also on a loaded machine (a turn over before it
      // would make "detaching never cancels" pass untested).
      const turn = (
        await stack.d.api.post(`/sessions/${s.id}/turns`, { prompt: 'stream this [slow:20000]' })
      ).body.turn
      await tmux.waitForScreen('a', (t) => t.includes('› stream this'), 'the live turn')
      tmux.keys('a', 'C-c')
      await waitUntil(() => tmux.paneState('a').dead, {
        timeoutMs: 10_000,
        label: 'attach to exit on Ctrl-C',
      })
      expect(tmux.paneState('a').status).toBe(0)
      // Detaching never cancels: the turn runs to completion.
      await waitUntil(
        async () =>
          (await history(stack.d, s.id)).some(
            (e) => e.kind === 'turn.ended' && e.turnId === turn.id
          ),
        {
          timeoutMs: 60_000,
          label: 'the turn to end',
        }
      )
      const ended = (await history(stack.d, s.id)).find(
        (e) => e.kind === 'turn.ended' && e.turnId === turn.id
      )!
      expect(ended.status).toBe('completed')
    }
  )

  it('respects NO_COLOR on a terminal', async () => {
    const s = await createSession(stack.d, { title: 'tmux plain' })
    await runTurn(stack.d, s.id, 'plain please [markdown]')
    tmux.start('p', [process.execPath, MAIN, 'attach', s.id], clientEnv({ NO_COLOR: '1' }))
    await tmux.waitForScreen('p', (t) => t.includes('── completed'), 'the replayed turn')
    expect(tmux.capture('p', true)).not.toMatch(/\x1b\[[0-9;]*m/)
    tmux.keys('p', 'C-d')
    await waitUntil(() => tmux.paneState('p').dead, {
      timeoutMs: 10_000,
      label: 'attach to exit on Ctrl-D',
    })
  })
})
