/**
 * The embedded adapter: PostgreSQL compiled to WASM (PGlite), persisted in a
 * directory. PGlite is a single connection, so every statement and every
 * transaction runs under one FIFO mutex; the search path is set only when
 * the scoped view asking differs from the last one that ran. Queries with a
 * text of their own run as named prepared statements (pglite-statements.ts).
 */
import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Mutex } from './mutex.js'
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
}

/** Open (or create) a PGlite database in `dataDir`; `undefined` keeps it in memory. */
export async function openPglite(dataDir: string | undefined, schema = 'public'): Promise<Db> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const pg = await PGlite.create(dataDir ? { dataDir } : {})
  return view(
    { pg, statements: new PgliteStatements(pg), mutex: new Mutex(), currentSchema: undefined, closed: false },
    schema,
  )
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

  const db: Db = {
    kind: 'pglite',
    schema,
    query: (text, params) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        await ensurePath()
        return run(text, params)
      }),
    exec: (sql) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        await ensurePath()
        await pg.exec(sql)
      }),
    tx: (fn) =>
      mutex.run(async () => {
        if (shared.closed) throw new Error('database is closed')
        await ensurePath()
        await pg.exec('BEGIN')
        const tx: Queryable = {
          query: (text, params) => run(text, params),
          exec: async (sql) => {
            await pg.exec(sql)
          },
        }
        try {
          const out = await fn(tx)
          await pg.exec('COMMIT')
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
        shared.statements.clear()
        await pg.close()
      }),
  }
  return db
}
