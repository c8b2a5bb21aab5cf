/**
 * The part of a SQL connection the storage modules use: better-sqlite3's shape, which the
 * PostgreSQL backend reproduces over its synchronous bridge. Queries are written once, in the
 * SQLite dialect; the PostgreSQL backend translates the few constructs that differ.
 */
export interface RunResult {
  changes: number
  lastInsertRowid: number | bigint
}

export interface Statement {
  run(...params: unknown[]): RunResult
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  /** Rows come back as their first column's value. */
  pluck(): Statement
}

export interface SqlDb {
  prepare(sql: string): Statement
  /** Wraps fn in a transaction (a savepoint when nested); a throw rolls it back. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R
  exec(sql: string): void
  close(): void
}

/** A connection with what differs between the engines beyond queries. */
export interface Database extends SqlDb {
  readonly kind: 'sqlite' | 'postgres'
  /** Folds the write-ahead log back into the database file, where the engine leaves that to us. */
  checkpoint(): void
  /** The database's size on disk, for the metrics. */
  sizeBytes(): number
}
