import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../src/config.js'
import { envOf, flagOf, SETTINGS } from '../../src/settings.js'
import { readmeConfigTable, serveOptionsText, withReadmeTable } from '../../src/config-help.js'

const README = resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md')

describe('the settings table', () => {
  it('is what the README shows (npm run readme:config rewrites it)', () => {
    const readme = readFileSync(README, 'utf8')
    expect(readme).toContain(readmeConfigTable())
    expect(withReadmeTable(readme)).toBe(readme)
  })

  it('names each setting once: the key gives the flag and the variable', () => {
    expect(flagOf('turnTimeoutMs')).toBe('turn-timeout-ms')
    expect(envOf('turnTimeoutMs')).toBe('AGENTMUX_TURN_TIMEOUT_MS')
    const text = serveOptionsText()
    for (const key of Object.keys(SETTINGS)) expect(text).toContain(envOf(key))
  })

  it('parses flags over the environment over the defaults', () => {
    const env = {
      AGENTMUX_PORT: '9000',
      AGENTMUX_HOST: '0.0.0.0',
      AGENTMUX_ALLOWED_HOSTS: ' A.example ,b.example,',
    }
    const c = parseConfig(
      env,
      ['--port', '0', '--allowed-roots', '/a:/b:', '--cancel-on-exit'],
      '/home/u'
    )
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      allowedRoots: ['/a', '/b'],
      allowedHosts: ['a.example', 'b.example'],
    })
    expect(c.cancelOnExit).toBe(true)
    const d = parseConfig({}, [], '/home/u')
    expect(d).toMatchObject({
      host: '127.0.0.1',
      port: 7878,
      token: null,
      claudeBin: undefined,
      allowedHosts: [],
      allowedRoots: ['/home/u'],
      dataDir: '/home/u/.local/share/agentmux',
      cancelOnExit: false,
      turnTimeoutMs: 7_200_000,
      logLevel: 'info',
    })
    expect(parseConfig({ AGENTMUX_CANCEL_ON_EXIT: '1' }, [], '/h').cancelOnExit).toBe(true)
    expect(parseConfig({ XDG_DATA_HOME: '/x' }, [], '/h').dataDir).toBe('/x/agentmux')
  })

  it('refuses bad values naming the variable and the flag, a weak token, and --token', () => {
    expect(() => parseConfig({ AGENTMUX_STALL_TIMEOUT_MS: 'soon' }, [], '/h')).toThrow(
      /AGENTMUX_STALL_TIMEOUT_MS \/ --stall-timeout-ms/
    )
    expect(() => parseConfig({ AGENTMUX_TOKEN: 'y'.repeat(31) }, [], '/h')).toThrow(
      /AGENTMUX_TOKEN: must be at least 32 characters/
    )
    expect(parseConfig({ AGENTMUX_TOKEN: 'y'.repeat(32) }, [], '/h').token).toBe('y'.repeat(32))
    expect(() => parseConfig({}, ['--token', 'y'.repeat(40)], '/h')).toThrow(ConfigError)
    expect(() => parseConfig({}, ['--token', 'y'.repeat(40)], '/h')).toThrow(/AGENTMUX_TOKEN/)
    expect(() => parseConfig({}, ['--allowed-roots', 'relative'], '/h')).toThrow(/absolute/)
  })
})
