/**
 * The embedded adapter: PostgreSQL compiled to WASM (PGlite), persisted in a
 * directory. PGlite is a single connection, so every statement and every
 * transaction runs under one FIFO mutex; the search path is set only when
 * the scoped view asking differs from the last one that ran. Queries with a
 * text of their own run as named prepared statements (pglite-statements.ts).
 * Every commit is durable against a killed process, asynchronous ones too
 * (pglite-durability.ts).
 */
import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Mutex } from './mutex.js'
import { BEHIND_SQL, FLUSH_SQL, mayCommitAsync, SAFETY_NET_MS } from './pglite-durability.js'
import { PgliteStatements } from './pglite-statements.js'
import {
  assertIdent,
  type Db,
  type Queryable,
  type QueryResult,
  searchPathSql,
  type Unlisten,
} from './port.js'

interface Shared {
  pg: PGlite
  statements: PgliteStatements
  mutex: Mutex
  currentSchema: string | undefined
  closed: boolean
  safetyNet: NodeJS.Timeout | undefined
  /** Statements, scripts and transactions run since the safety net last looked (0: nothing to check). */
  ranSinceCheck: number
}

/** The statements' cache key of schema-independent platform statements. */
const NO_SCHEMA = ''

/** Open (or create) a PGlite database in `dataDir`; `undefined` keeps it in memory. */
export async function openPglite(dataDir: string | undefined, schema = 'public'): Promise<Db> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const pg = await PGlite.create(dataDir ? { dataDir } : {})
  const shared: Shared = {
    pg,
    statements: new PgliteStatements(pg),
    mutex: new Mutex(),
    currentSchema: undefined,
    closed: false,
    safetyNet: undefined,
    // One look after opening, whatever the files came with.
    ranSinceCheck: 1,
  }
  if (dataDir) {
    // A database default of `off` would otherwise make every commit of this session asynchronous.
    await pg.exec("SET synchronous_commit TO 'on'")
    shared.safetyNet = setInterval(() => void flushIfBehind(shared)?.catch(() => undefined), SAFETY_NET_MS)
    shared.safetyNet.unref()
  }
  return view(shared, schema)
}

/** Write the WAL to the files now (see pglite-durability.ts). Call under the mutex, outside a transaction. */
async function flushWal(shared: Shared): Promise<void> {
  await shared.statements.query(NO_SCHEMA, FLUSH_SQL)
  // FLUSH_SQL sets synchronous_commit itself (back on): not a reason for another flush.
  shared.statements.takeAsyncCommit()
}

/**
 * The safety net: flush when WAL was inserted but not written (a commit made asynchronous unseen).
 * Only WAL our own statements insert can lag (single-user mode has no background writers), so
 * while none ran since the last look there is nothing to check: an idle process makes no query.
 */
function flushIfBehind(shared: Shared): Promise<void> | undefined {
  if (shared.ranSinceCheck === 0) return undefined
  return shared.mutex.run(async () => {
    // Looked at under the mutex too: a check queued behind a busy one may find nothing new.
    if (shared.closed || shared.ranSinceCheck === 0) return
    // Reset under the mutex: statements queued behind this check count for the next one.
    shared.ranSinceCheck = 0
    const res = await shared.statements.query<{ behind: boolean }>(NO_SCHEMA, BEHIND_SQL)
    if (res.rows[0]?.behind) await flushWal(shared)
  })
}

function view(shared: Shared, schema: string): Db {
  assertIdent('schema', schema)
  const { pg, mutex } = shared

  async function ensurePath(): Promise<void> {
    if (shared.currentSchema === schema) return
    await pg.exec(searchPathSql(schema))
    shared.currentSchema = schema
  }

  async function run<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const res = await shared.statements.query<R>(schema, text, params)
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length }
  }

  /**
   * After a statement or script that ran on its own (it committed): flush if it may have committed
   * asynchronously. `script` is the text of an `exec` (no prepared statement to remember it by).
   */
  async function durable<T>(out: T, script?: string): Promise<T> {
    const mayBeAsync = shared.statements.takeAsyncCommit() || (script !== undefined && mayCommitAsync(script))
    if (mayBeAsync && !pg.isInTransaction()) await flushWal(shared)
    return out
  }

  const db: Db = {
    kind: 'pglite',
    schema,
    query: (text, params) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        shared.ranSinceCheck++
        await ensurePath()
        return durable(await run(text, params))
      }),
    exec: (sql) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        shared.ranSinceCheck++
        await ensurePath()
        await pg.exec(sql)
        await durable(undefined, sql)
      }),
    tx: (fn) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        shared.ranSinceCheck++
        await ensurePath()
        await pg.exec('BEGIN')
        // Scripts are checked here; prepared statements remember it (statements.takeAsyncCommit()).
        let mayBeAsync = false
        shared.statements.takeAsyncCommit()
        const tx: Queryable = {
          query: (text, params) => run(text, params),
          exec: async (sql) => {
            if (mayCommitAsync(sql)) mayBeAsync = true
            await pg.exec(sql)
          },
        }
        try {
          const out = await fn(tx)
          await pg.exec('COMMIT')
          if (shared.statements.takeAsyncCommit() || mayBeAsync) await flushWal(shared)
          return out
        } catch (err) {
          await pg.exec('ROLLBACK').catch(() => undefined)
          // A failed SET inside the transaction is undone too: forget what we believe.
          shared.currentSchema = undefined
          throw err
        }
      }),
    // One connection, and every transaction already runs alone under the mutex.
    exclusive: (_key, fn) => db.tx(fn),
    async listen(channel, fn): Promise<Unlisten> {
      assertIdent('channel', channel)
      // LISTEN runs under the mutex so it never lands inside someone's open transaction.
      const unsub = await mutex.run(() => pg.listen(channel, fn))
      return () => mutex.run(() => unsub())
    },
    // One connection: the dedicated one is this view itself, never busy (the mutex orders statements).
    dedicated: async () => ({
      busy: false,
      query: (text, params) => db.query(text, params),
      exec: (sql) => db.exec(sql),
      close: async () => {},
    }),
    withSchema: (s) => view(shared, s),
    ping: async () => {
      await db.query('SELECT 1')
    },
    close: () =>
      mutex.run(async () => {
        if (shared.closed) return
        shared.closed = true
        clearInterval(shared.safetyNet)
        shared.statements.clear()
        await pg.close()
      }),
  }
  return db
}
