/**
 * The Db port: the whole of what systems know about PostgreSQL. SQL is
 * written by hand in the systems' store files; this port only runs it.
 * Two adapters implement it: `pg` (a real server) and PGlite (embedded).
 */

export interface QueryResult<R> {
  rows: R[]
  rowCount: number
}

export type Row = Record<string, unknown>

export interface Queryable {
  /** Run one statement with `$1..$n` parameters. */
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>
  /** Run a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export type Unlisten = () => Promise<void>

/** A connection of its own (see `Db.dedicated`). */
export interface DedicatedConnection extends Queryable {
  /** A statement is running, or the connection is down: use the pool meanwhile. */
  readonly busy: boolean
  /** Close it (it is not reopened). */
  close(): Promise<void>
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite'
  /** The schema unqualified names resolve to (first on `search_path`). */
  readonly schema: string
  /**
   * Run `fn` in one transaction on one connection: committed when it
   * resolves, rolled back when it throws (and the error rethrown).
   */
  tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Like `tx`, while holding the session advisory lock `key`, taken *before* the
   * transaction begins. Taking the lock inside the transaction is not enough for
   * DDL: a backend that waited on the lock may still trust catalog entries it
   * cached before the holder committed (we saw `CREATE SCHEMA IF NOT EXISTS`
   * fail with a duplicate key that way); a transaction that begins after the
   * lock is granted processes those invalidations first.
   */
  exclusive<T>(key: number, fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Subscribe to NOTIFY on `channel`. A notification is a wake-up, not a
   * delivery guarantee: one sent while the listening connection is being
   * re-established is lost, so listeners also poll.
   */
  listen(channel: string, fn: (payload: string) => void): Promise<Unlisten>
  /**
   * A connection of this view's own, outside the pool, opened now and kept open
   * (reopened in the background after it drops): for a hot path that must not
   * queue behind the pool, nor pay a `SET search_path` or a reconnect (the job
   * worker's fetch). Its statements run one at a time, each text prepared once.
   * PGlite has one connection: this is that one.
   */
  dedicated(): Promise<DedicatedConnection>
  /** A view of the same connections with `schema` first on the search path. */
  withSchema(schema: string): Db
  /** Cheap round trip, for readiness checks. */
  ping(): Promise<void>
  /** Close every connection (the whole adapter, whichever view it is called on). */
  close(): Promise<void>
}

/** Quote an identifier for SQL text (schema, channel names). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Schema names and channel names we accept: lower-case, digits, `_`. */
export const SAFE_IDENT = /^[a-z_][a-z0-9_]{0,62}$/

export function assertIdent(kind: string, name: string): void {
  if (!SAFE_IDENT.test(name))
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: use [a-z_][a-z0-9_]*`)
}

/** `SET search_path` text for a schema (then `public`, where shared extensions live). */
export function searchPathSql(schema: string): string {
  return `SET search_path TO ${quoteIdent(schema)}, public`
}
