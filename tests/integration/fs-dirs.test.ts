/** GET /fs/dirs (the page's directory picker) and GET /config, on a real daemon over real HTTP. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let d: TestDaemon
let root: string
let outside: string

describe('GET /fs/dirs and GET /config', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'agentmux-roots-'))
    outside = mkdtempSync(join(tmpdir(), 'agentmux-outside-'))
    mkdirSync(join(root, 'proj', 'src'), { recursive: true })
    mkdirSync(join(root, 'beta'))
    mkdirSync(join(root, '.hidden'))
    writeFileSync(join(root, 'file.txt'), 'x')
    symlinkSync(outside, join(root, 'escape'))
    symlinkSync(join(root, 'beta'), join(root, 'alias'))
    d = await startTestDaemon({ config: { allowedRoots: [root] } })
  })
  afterAll(async () => {
    await d?.stop()
    rmSync(root, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  it('lists the roots without a path, and subdirectories (no files, no hidden, no escaping links) with one', async () => {
    const top = await d.api.get('/fs/dirs')
    expect(top.status).toBe(200)
    expect(top.body.path).toBeNull()
    expect(top.body.dirs.map((x: { path: string }) => x.path)).toEqual(top.body.roots)
    const realRoot = top.body.roots[0] as string
    const r = await d.api.get(`/fs/dirs?path=${encodeURIComponent(root)}`)
    expect(r.status).toBe(200)
    expect(r.body.path).toBe(realRoot)
    expect(r.body.parent).toBeNull()
    expect(r.body.dirs.map((x: { name: string }) => x.name)).toEqual(['alias', 'beta', 'proj'])
    const sub = await d.api.get(`/fs/dirs?path=${encodeURIComponent(join(root, 'proj'))}`)
    expect(sub.body).toMatchObject({
      path: join(realRoot, 'proj'),
      parent: realRoot,
      dirs: [{ name: 'src', path: join(realRoot, 'proj', 'src') }],
    })
  })

  it('refuses paths outside the roots (also through a symlink) and names the roots', async () => {
    const out = await d.api.get(`/fs/dirs?path=${encodeURIComponent(outside)}`)
    expect(out.status).toBe(403)
    expect(out.body.error.code).toBe('path_not_allowed')
    const link = await d.api.get(`/fs/dirs?path=${encodeURIComponent(join(root, 'escape'))}`)
    expect(link.status).toBe(403)
    const rel = await d.api.get('/fs/dirs?path=relative/path')
    expect(rel.status).toBe(400)
    const missing = await d.api.get(`/fs/dirs?path=${encodeURIComponent(join(root, 'nope'))}`)
    expect(missing.status).toBe(404)
    const file = await d.api.get(`/fs/dirs?path=${encodeURIComponent(join(root, 'file.txt'))}`)
    expect(file.status).toBe(400)
    expect(file.body.error.code).toBe('not_a_directory')
    // The create-session error names the roots too.
    const created = await d.api.post('/sessions', { cwd: outside })
    expect(created.status).toBe(400)
    expect(created.body.error.message).toContain(root.split('/').pop())
  })

  it('needs the token', async () => {
    const anon = createApi(d.url)
    expect((await anon.get('/fs/dirs')).status).toBe(401)
    expect((await anon.get('/config')).status).toBe(401)
  })

  it('GET /config says whether bypassPermissions can work (not as root)', async () => {
    const r = await d.api.get('/config')
    expect(r.status).toBe(200)
    const asRoot = userInfo().uid === 0
    expect(r.body).toMatchObject({ runningAsRoot: asRoot, bypassPermissionsAvailable: !asRoot })
    expect(r.body.allowedRoots).toHaveLength(1)
  })
})
