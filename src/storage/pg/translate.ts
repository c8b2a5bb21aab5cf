/**
 * The storage modules write SQL once, in SQLite's dialect. These are the few constructs that
 * differ in PostgreSQL; each rule is checked by tests/unit/pg-translate.test.ts.
 */
export interface Translated {
  sql: string
  /** For named parameters: the name behind each $n, in order. Empty for positional ones. */
  names: string[]
  /** An INSERT into a table keyed by an integer id returns it, as SQLite's lastInsertRowid. */
  returnsId: boolean
}

/** Tables whose key is an integer id that callers read back after an insert. */
const ID_TABLES = new Set(['events', 'outbox'])

export function translate(sqlite: string): Translated {
  let sql = sqlite
  let onConflict = false
  sql = sql.replace(/\bINSERT OR IGNORE INTO\b/gi, () => {
    onConflict = true
    return 'INSERT INTO'
  })
  // SQLite's two-argument scalar max() is PostgreSQL's greatest().
  sql = sql.replace(/\bmax\(([^(),]+),([^(),]+)\)/gi, 'greatest($1,$2)')
  // PostgreSQL folds unquoted names to lower case: camelCase aliases keep their case quoted.
  sql = sql.replace(/\bAS ([a-z]\w*[A-Z]\w*)\b/g, 'AS "$1"')
  const { text, names } = numberParameters(sql)
  sql = text
  if (onConflict) sql += ' ON CONFLICT DO NOTHING'
  const insertInto = /^\s*INSERT INTO (\w+)/i.exec(sql)?.[1]
  const returnsId =
    insertInto !== undefined && ID_TABLES.has(insertInto) && !/\bRETURNING\b/i.test(sql)
  if (returnsId) sql += ' RETURNING id'
  return { sql, names, returnsId }
}

/** `?` becomes $1, $2…; `@name` becomes one $n per distinct name. Quoted text is left alone. */
function numberParameters(sql: string): { text: string; names: string[] } {
  const names: string[] = []
  let positional = 0
  let out = ''
  let quoted = false
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!
    if (ch === "'") quoted = !quoted
    if (quoted) {
      out += ch
      continue
    }
    if (ch === '?') {
      out += `$${++positional}`
      continue
    }
    const named = ch === '@' ? /^@([A-Za-z_]\w*)/.exec(sql.slice(i)) : null
    if (named) {
      const name = named[1]!
      let n = names.indexOf(name)
      if (n < 0) n = names.push(name) - 1
      out += `$${n + 1}`
      i += name.length
      continue
    }
    out += ch
  }
  if (positional > 0 && names.length > 0)
    throw new Error('a statement mixes ? and @name parameters')
  return { text: out, names }
}

/** better-sqlite3's binding: one object for named parameters, else the values in order. */
export function bindParameters(t: Translated, params: unknown[]): unknown[] {
  if (t.names.length === 0) return params.map(toPg)
  const record = (params[0] ?? {}) as Record<string, unknown>
  return t.names.map((name) => {
    if (!(name in record)) throw new RangeError(`missing named parameter "${name}"`)
    return toPg(record[name])
  })
}

function toPg(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  // PostgreSQL's text cannot hold NUL. Bodies refuse it (400); what still carries one is an id
  // from a URL being looked up, which matches nothing either way, as on SQLite.
  if (typeof value === 'string' && value.includes('\u0000'))
    return value.replaceAll('\u0000', '\ufffd')
  return value
}
