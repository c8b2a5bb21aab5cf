import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientEnv, ndjson, runCli } from '../helpers/cli.js'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { createSession, history, runTurn, UNTIL_CANCELLED } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

// The built client against a real daemon running the real claude binary on the mock Messages API.
let stack: RealStack
let env: Record<string, string>
let scratch: string
beforeAll(async () => {
  stack = await startRealStack()
  env = clientEnv(stack.d.url, stack.d.token)
  scratch = mkdtempSync(join(tmpdir(), 'agentmux-cli-'))
})
afterAll(async () => {
  await stack?.stop()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

const cli = (...args: string[]) => runCli(args, env)

/** A port nothing listens on (fetch refuses the well-known "bad" ones such as 1). */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

describe('agentmux client commands', () => {
  it('new --json with a prompt, then send --wait streams the reply and exits 0', async () => {
    const made = await cli(
      'new',
      '--json',
      '--title',
      'cli one',
      '--allow',
      'Bash',
      'hello from the cli'
    )
    expect(made.code, made.stderr).toBe(0)
    const { session, turn } = JSON.parse(made.stdout)
    expect(session).toMatchObject({ title: 'cli one', allowedTools: ['Bash'] })
    expect(turn.status).toBe('running')
    const w = await cli('wait', session.id, '--timeout', '60')
    expect(w.code, w.stderr).toBe(0)
    expect(w.stdout).toContain('completed')

    const sent = await cli('send', 'cli one', '--wait', 'run it [tool:bash echo from-cli-bash]')
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toContain('› run it [tool:bash echo from-cli-bash]')
    expect(sent.stdout).toContain('⏺ Bash echo from-cli-bash')
    expect(sent.stdout).toContain('TOOL RESULT: from-cli-bash')
    expect(sent.stdout).toMatch(/── completed in/)
    // Not a terminal: no colour codes.
    expect(sent.stdout).not.toContain('\x1b[')
  })

  it('send reads the prompt from stdin, --json and -q print the turn', async () => {
    const s = await createSession(stack.d, { title: 'stdin one' })
    const r = await runCli(['send', s.id, '-', '--json'], env, { input: 'a prompt\nfrom stdin' })
    expect(r.code, r.stderr).toBe(0)
    const { turn } = JSON.parse(r.stdout)
    expect(turn.prompt).toBe('a prompt\nfrom stdin')
    await cli('wait', s.id, '--timeout', '60')
    const q = await cli('send', s.id, '-q', 'second prompt')
    expect(q.stdout.trim()).toMatch(/^trn_[0-9A-Za-z]{16}$/)
    await cli('wait', s.id, '--timeout', '60')
  })

  it('ls: a table, --json (the API list) and -q (ids)', async () => {
    const s = await createSession(stack.d, { title: 'listed one' })
    const table = await cli('ls')
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+TITLE\s+STATUS\s+APPROVALS\s+QUEUED\s+ACTIVE\s+HOST\s+CWD$/
    )
    expect(table.stdout).toContain('listed one')
    // The test daemon's host id (its heartbeat makes it online).
    expect(table.stdout.split('\n').find((l) => l.includes('listed one'))).toMatch(/\btest-host\b/)
    const json = JSON.parse((await cli('ls', '--json', '--all')).stdout)
    const api = (await stack.d.api.get('/sessions')).body
    expect(json.sessions.map((x: { id: string }) => x.id)).toEqual(
      api.sessions.map((x: { id: string }) => x.id)
    )
    const ids = (await cli('ls', '-q', '--all')).stdout.trim().split('\n')
    expect(ids).toContain(s.id)
    expect(ids.every((id) => /^ses_/.test(id))).toBe(true)
  })

  it('logs --json is the log as NDJSON with ids; --tail keeps the end; the rendered view shows the reply', async () => {
    const s = await createSession(stack.d, { title: 'logged one' })
    await runTurn(stack.d, s.id, 'log me [markdown]')
    const all = await history(stack.d, s.id)
    const json = await cli('logs', s.id, '--json')
    expect(json.code).toBe(0)
    expect(ndjson(json.stdout)).toEqual(all)
    const tail = ndjson((await cli('logs', s.id, '--json', '--tail', '3')).stdout)
    expect(tail).toEqual(all.slice(-3))
    const text = await cli('logs', s.id)
    expect(text.stdout).toContain('› log me [markdown]')
    expect(text.stdout).toContain('── completed')
  })

  it('logs -f follows new events until stopped', async () => {
    const s = await createSession(stack.d, { title: 'followed one' })
    const { startCli } = await import('../helpers/cli.js')
    const p = startCli(['logs', s.id, '-f', '--json'], env)
    try {
      await stack.d.api.post(`/sessions/${s.id}/turns`, { prompt: 'follow me' })
      await p.waitForOutput((o) => o.includes('"turn.ended"'), 'turn.ended in logs -f', 60_000)
      expect(ndjson(p.stdout())).toEqual(await history(stack.d, s.id))
    } finally {
      p.kill()
    }
  })

  it('wait: 3 for a cancelled turn, 124 on timeout; cancel cancels', async () => {
    const s = await createSession(stack.d, { title: 'waited one' })
    await stack.d.api.post(`/sessions/${s.id}/turns`, { prompt: `a slow one ${UNTIL_CANCELLED}` })
    const timedOut = await cli('wait', s.id, '--timeout', '0.5')
    expect(timedOut.code).toBe(124)
    await waitUntil(
      async () => (await history(stack.d, s.id)).some((e) => e.kind === 'text.delta'),
      { timeoutMs: 30_000, label: 'first delta' }
    )
    const c = await cli('cancel', s.id, '--json')
    expect(c.code, c.stderr).toBe(0)
    expect(JSON.parse(c.stdout).cancelled).toBe(true)
    const w = await cli('wait', s.id, '--timeout', '60', '--json')
    expect(w.code).toBe(3)
    expect(JSON.parse(w.stdout).result).toBe('cancelled')
    expect((await cli('cancel', s.id)).stdout).toContain('no turn was running')
  })

  it('rename and rm', async () => {
    const s = await createSession(stack.d, { title: 'to rename' })
    const r = await cli('rename', s.id.slice(0, 10), 'renamed', 'twice', '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).title).toBe('renamed twice')
    expect((await stack.d.api.get(`/sessions/${s.id}`)).body.title).toBe('renamed twice')
    const del = await cli('rm', 'renamed twice')
    expect(del.code, del.stderr).toBe(0)
    expect((await stack.d.api.get(`/sessions/${s.id}`)).status).toBe(404)
  })

  it('export: md is a readable transcript, jsonl is the exact log, -o writes a 0600 file', async () => {
    const s = await createSession(stack.d, { title: 'exported one', allowedTools: ['Bash'] })
    await runTurn(stack.d, s.id, 'export me [tool:bash echo exported-output]')
    const md = await cli('export', s.id, '--format', 'md')
    expect(md.code, md.stderr).toBe(0)
    expect(md.stdout).toContain('# exported one')
    expect(md.stdout).toContain('> export me [tool:bash echo exported-output]')
    expect(md.stdout).toContain('**Tool: Bash** `echo exported-output`')
    expect(md.stdout).toMatch(/exported-output\n```/)
    expect(md.stdout).toContain('TOOL RESULT: exported-output')
    expect(md.stdout).toMatch(/\*Cost \$0\.\d{4}/)
    const file = join(scratch, 'log.jsonl')
    const j = await cli('export', s.id, '--format', 'jsonl', '-o', file)
    expect(j.code, j.stderr).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(ndjson(readFileSync(file, 'utf8'))).toEqual(await history(stack.d, s.id))
    const route = await stack.d.api.get(`/sessions/${s.id}/export?format=xml`)
    expect(route.status).toBe(400)
  })

  it('names: a unique id prefix or exact title; an ambiguous name lists the candidates', async () => {
    const a = await createSession(stack.d, { title: 'twin' })
    const b = await createSession(stack.d, { title: 'twin' })
    const amb = await cli('logs', 'twin', '--json')
    expect(amb.code).toBe(1)
    expect(amb.stderr).toContain('matches 2 sessions')
    expect(amb.stderr).toContain(a.id)
    expect(amb.stderr).toContain(b.id)
    const byPrefix = await cli('export', a.id.slice(0, 12), '--format', 'jsonl')
    expect(byPrefix.code, byPrefix.stderr).toBe(0)
    const none = await cli('logs', 'no such session')
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no session matches')
  })

  it('clear errors and exit codes: no daemon, bad token, refused Host, bad usage, --help', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`
    const noDaemon = await runCli(['ls'], clientEnv(closed, stack.d.token))
    expect(noDaemon.code).toBe(69)
    expect(noDaemon.stderr).toContain(`no daemon at ${closed}`)
    expect(noDaemon.stderr).toContain('agentmux serve')
    const badToken = await runCli(['ls'], clientEnv(stack.d.url, 'wrong-token-0123456789'))
    expect(badToken.code).toBe(77)
    expect(badToken.stderr).toContain('refused the token')
    const port = new URL(stack.d.url).port
    const badHost = await runCli(
      ['ls'],
      clientEnv(`http://[::ffff:127.0.0.1]:${port}`, stack.d.token)
    )
    expect(badHost.code).toBe(1)
    expect(badHost.stderr).toContain('refused this Host name')
    const usage = await cli('wait')
    expect(usage.code).toBe(64)
    expect(usage.stderr).toContain('usage: agentmux wait')
    const flag = await cli('ls', '--bogus')
    expect(flag.code).toBe(64)
    const help = await runCli(['attach', '--help'], { PATH: process.env.PATH ?? '' })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: agentmux attach SESSION')
    // The token is never a flag.
    expect((await cli('ls', '--token', 'x')).code).toBe(64)
  })

  it('finds the local daemon through its data dir: the address and token files', async () => {
    const r = await runCli(['ls', '--json'], {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AGENTMUX_DATA_DIR: stack.d.dataDir,
      AGENTMUX_TOKEN: stack.d.token,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(join(stack.d.dataDir, 'address'), 'utf8').trim()).toBe(stack.d.url)
    expect(statSync(join(stack.d.dataDir, 'address')).mode & 0o777).toBe(0o600)
    const none = await runCli(['ls'], {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AGENTMUX_DATA_DIR: scratch,
      AGENTMUX_TOKEN: 'x'.repeat(20),
    })
    expect(none.code).toBe(69)
    expect(none.stderr).toContain('start one with `agentmux serve`')
  })
})
