import { describe, expect, it } from 'vitest'
import { bindParameters, translate } from '../../src/storage/pg/translate.js'

describe("SQLite's dialect as PostgreSQL's", () => {
  it('numbers positional parameters in order, and leaves quoted text alone', () => {
    const t = translate("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?")
    expect(t.sql).toBe("SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2")
    expect(bindParameters(t, [1, 2])).toEqual([1, 2])
  })

  it('gives each named parameter one number, however often it is used, and binds by name', () => {
    const t = translate('UPDATE t SET a = @x, b = @y WHERE c = @x')
    expect(t.sql).toBe('UPDATE t SET a = $1, b = $2 WHERE c = $1')
    expect(bindParameters(t, [{ y: 'Y', x: 'X' }])).toEqual(['X', 'Y'])
    expect(() => bindParameters(t, [{ x: 1 }])).toThrow(/missing named parameter "y"/)
  })

  it('refuses a statement that mixes both kinds', () => {
    expect(() => translate('SELECT ? WHERE a = @a')).toThrow(/mixes/)
  })

  it('turns INSERT OR IGNORE into ON CONFLICT DO NOTHING, before RETURNING', () => {
    expect(translate('INSERT OR IGNORE INTO outbox (a) VALUES (?)').sql).toBe(
      'INSERT INTO outbox (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id'
    )
    expect(translate('INSERT OR IGNORE INTO session_rules (a) VALUES (?)').sql).toBe(
      'INSERT INTO session_rules (a) VALUES ($1) ON CONFLICT DO NOTHING'
    )
  })

  it('returns the id of an insert into a table with an integer key, once', () => {
    expect(translate('INSERT INTO events (a) VALUES (?)')).toMatchObject({
      sql: 'INSERT INTO events (a) VALUES ($1) RETURNING id',
      returnsId: true,
    })
    expect(translate('INSERT INTO commands (a) VALUES (?) RETURNING id').returnsId).toBe(false)
    expect(translate('INSERT INTO sessions (a) VALUES (?)').returnsId).toBe(false)
  })

  it('maps the two-argument scalar max() to greatest(), not the aggregate', () => {
    expect(translate('UPDATE s SET p = max(p, ?)').sql).toBe('UPDATE s SET p = greatest(p, $1)')
    expect(translate('SELECT max(id) FROM events').sql).toBe('SELECT max(id) FROM events')
  })

  it('quotes camelCase aliases, which PostgreSQL would fold to lower case', () => {
    expect(translate('SELECT session_id AS sessionId, kind AS kind FROM e').sql).toBe(
      'SELECT session_id AS "sessionId", kind AS kind FROM e'
    )
  })

  it('looks up an id holding NUL (from a URL) as one that matches nothing, instead of failing', () => {
    expect(bindParameters(translate('SELECT ?'), ['a\u0000b'])).toEqual(['a\ufffdb'])
  })

  it('passes bigints as text, which PostgreSQL reads back exactly', () => {
    expect(bindParameters(translate('SELECT ?'), [2n ** 60n])).toEqual(['1152921504606846976'])
  })
})
