/**
 * The PGlite adapter's prepared statements (pglite-statements.ts): a cached
 * statement must behave as a fresh `PGlite.query()` would, through DDL, errors,
 * eviction, schema views and transactions.
 */
import { PGlite } from '@electric-sql/pglite'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openPglite } from './pglite.js'
import { PgliteStatements } from './pglite-statements.js'
import type { Db } from './port.js'

describe('PGlite prepared statements', () => {
  let db: Db
  // A fresh PGlite per test (the statement cache is the subject); a start takes seconds, and over a
  // minute on a machine loaded far past its cores.
  beforeEach(async () => {
    db = await openPglite(undefined)
  }, 180_000)
  afterEach(async () => {
    await db.close()
  })

  it('serializes parameters by their described types and parses results as query() does', async () => {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT $1::bigint[] AS ids, $2::text[] AS names, $3::jsonb AS doc, $4::timestamptz AS at,
              $5::int AS missing, $6::text AS quote, $7::bool AS yes`,
      [
        [1, 2, 3],
        ['a', 'b,c', 'd"e', null],
        { k: [1, 'x'] },
        new Date('2026-01-02T03:04:05Z'),
        null,
        "it's",
        true,
      ],
    )
    expect(rows[0]).toEqual({
      ids: [1, 2, 3],
      names: ['a', 'b,c', 'd"e', null],
      doc: { k: [1, 'x'] },
      at: new Date('2026-01-02T03:04:05Z'),
      missing: null,
      quote: "it's",
      yes: true,
    })
    // The second call runs the cached statement: same answer for other values.
    const again = await db.query<{ ids: number[] }>(
      `SELECT $1::bigint[] AS ids, $2::text[] AS names, $3::jsonb AS doc, $4::timestamptz AS at,
              $5::int AS missing, $6::text AS quote, $7::bool AS yes`,
      [[7], [], null, null, 5, '', false],
    )
    expect(again.rows[0]).toMatchObject({ ids: [7], names: [], doc: null, at: null, missing: 5, yes: false })
  })

  it('reports row counts of writes', async () => {
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v text)')
    expect((await db.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b'])).rowCount).toBe(2)
    expect((await db.query('UPDATE t SET v = $1 WHERE id > $2', ['z', 0])).rowCount).toBe(2)
    expect((await db.query('DELETE FROM t WHERE id = $1', [2])).rowCount).toBe(1)
  })

  it('prepares again when DDL changes what a cached statement returns', async () => {
    await db.exec('CREATE TABLE t (id int PRIMARY KEY)')
    await db.query('INSERT INTO t VALUES ($1)', [1])
    expect((await db.query('SELECT * FROM t WHERE id = $1', [1])).rows).toEqual([{ id: 1 }])
    await db.exec("ALTER TABLE t ADD COLUMN label text NOT NULL DEFAULT 'x'")
    expect((await db.query('SELECT * FROM t WHERE id = $1', [1])).rows).toEqual([{ id: 1, label: 'x' }])
    // A table dropped and made again under the same name: the statement follows the new one.
    await db.exec('DROP TABLE t; CREATE TABLE t (id int, other int)')
    await db.query('INSERT INTO t VALUES ($1, $2)', [2, 3])
    expect((await db.query('SELECT * FROM t WHERE id = $1', [2])).rows).toEqual([{ id: 2, other: 3 }])
  })

  it('prepares again after user SQL deallocates every statement', async () => {
    expect((await db.query('SELECT $1::int + 1 AS n', [1])).rows).toEqual([{ n: 2 }])
    await db.exec('DEALLOCATE ALL')
    expect((await db.query('SELECT $1::int + 1 AS n', [2])).rows).toEqual([{ n: 3 }])
  })

  it('keeps working past the cache bound (the oldest statements are closed)', async () => {
    for (let i = 0; i < 300; i++)
      expect((await db.query(`SELECT $1::int + ${i} AS n`, [1])).rows[0]).toEqual({ n: i + 1 })
    // The first texts were evicted and closed; they prepare again, and the backend holds at most the bound.
    expect((await db.query('SELECT $1::int + 0 AS n', [5])).rows[0]).toEqual({ n: 5 })
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')
    expect(rows[0]!.n).toBeLessThanOrEqual(256)
    expect(rows[0]!.n).toBeGreaterThan(200)
  })

  it('throws database errors with their code and the query, and caches nothing for them', async () => {
    const bad = await db.query('SELEC 1').catch((e: unknown) => e)
    expect(bad).toMatchObject({ code: '42601', query: 'SELEC 1' })
    await db.exec('CREATE TABLE t (id int PRIMARY KEY)')
    await db.query('INSERT INTO t VALUES ($1)', [1])
    const dup = await db.query('INSERT INTO t VALUES ($1)', [1]).catch((e: unknown) => e)
    expect(dup).toMatchObject({ code: '23505' })
    // The connection is usable after both.
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }])
  })

  it('runs the same text in each schema view against that schema', async () => {
    const a = db.withSchema('a')
    const b = db.withSchema('b')
    await db.exec('CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (v text); CREATE TABLE b.t (v text)')
    await a.query('INSERT INTO t VALUES ($1)', ['in a'])
    await b.query('INSERT INTO t VALUES ($1)', ['in b'])
    for (let i = 0; i < 3; i++) {
      expect((await a.query('SELECT v FROM t')).rows).toEqual([{ v: 'in a' }])
      expect((await b.query('SELECT v FROM t')).rows).toEqual([{ v: 'in b' }])
    }
  })

  it('delivers NOTIFY raised by a prepared statement to listeners', async () => {
    const got: string[] = []
    await db.listen('ch', (payload) => got.push(payload))
    await db.query('SELECT pg_notify($1, $2)', ['ch', 'one'])
    await db.tx(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', ['ch', 'two'])
    })
    await new Promise((r) => setTimeout(r, 20))
    expect(got).toEqual(['one', 'two'])
  })

  it('rolls back a transaction whose cached statement fails, and runs it again afterwards', async () => {
    await db.exec('CREATE TABLE t (id int PRIMARY KEY)')
    const insert = (id: number) => db.query('INSERT INTO t VALUES ($1)', [id])
    await insert(1)
    const err = await db
      .tx(async (tx) => {
        await tx.query('INSERT INTO t VALUES ($1)', [2])
        await tx.query('INSERT INTO t VALUES ($1)', [1])
      })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: '23505' })
    await insert(3)
    expect((await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id)).toEqual([
      1, 3,
    ])
  })
})

describe('PGlite prepared statements and asynchronous commit', () => {
  let pg: PGlite
  beforeAll(async () => {
    pg = await PGlite.create()
  }, 180_000)
  afterAll(() => pg.close())

  it('remember, from when they were prepared, which texts may turn asynchronous commit on', async () => {
    const statements = new PgliteStatements(pg)
    const asyncCommit = "SELECT set_config('synchronous_commit', 'off', false)"
    await statements.query('', 'SELECT 1')
    expect(statements.takeAsyncCommit()).toBe(false)
    await statements.query('', asyncCommit)
    expect(statements.takeAsyncCommit()).toBe(true)
    // Taken: reset until such a statement runs again, from the cache this time.
    expect(statements.takeAsyncCommit()).toBe(false)
    await statements.query('', 'SELECT 1')
    expect(statements.takeAsyncCommit()).toBe(false)
    await statements.query('', asyncCommit)
    expect(statements.takeAsyncCommit()).toBe(true)
  })
})
