/**
 * The Db contract: what every adapter (pg, PGlite) must do the same way.
 * Run by db.test.ts against each backend.
 */
import { describe, expect, it } from 'vitest'
import { settle, waitFor } from '../testing/wait.js'
import type { Db } from './port.js'

export function dbContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`Db contract: ${name}`, () => {
    async function freshTable(db: Db): Promise<void> {
      await db.query('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)')
    }

    it('runs parameterised queries and reports row counts', async () => {
      const db = await makeDb()
      await freshTable(db)
      const ins = await db.query('INSERT INTO items VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b'])
      expect(ins.rowCount).toBe(2)
      const { rows } = await db.query<{ id: number; label: string }>(
        'SELECT id, label FROM items ORDER BY id',
      )
      expect(rows).toEqual([
        { id: 1, label: 'a' },
        { id: 2, label: 'b' },
      ])
    })

    it('commits a transaction that resolves', async () => {
      const db = await makeDb()
      await freshTable(db)
      const out = await db.tx(async (tx) => {
        await tx.query('INSERT INTO items VALUES (1, $1)', ['kept'])
        return 'done'
      })
      expect(out).toBe('done')
      expect((await db.query('SELECT label FROM items')).rows).toEqual([{ label: 'kept' }])
    })

    it('rolls back a transaction that throws and rethrows the error', async () => {
      const db = await makeDb()
      await freshTable(db)
      await expect(
        db.tx(async (tx) => {
          await tx.query('INSERT INTO items VALUES (1, $1)', ['lost'])
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      expect((await db.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 0 })
      // The adapter is still usable after a rollback.
      await db.query('INSERT INTO items VALUES (2, $1)', ['after'])
      expect((await db.query('SELECT label FROM items')).rows).toEqual([{ label: 'after' }])
    })

    it('rolls back when a statement inside the transaction fails', async () => {
      const db = await makeDb()
      await freshTable(db)
      await expect(
        db.tx(async (tx) => {
          await tx.query('INSERT INTO items VALUES (1, $1)', ['first'])
          await tx.query('INSERT INTO items VALUES (1, $1)', ['duplicate key'])
        }),
      ).rejects.toThrow(/duplicate key|unique/i)
      expect((await db.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 0 })
    })

    it('lets concurrent work see committed data only', async () => {
      const db = await makeDb()
      await freshTable(db)
      let releaseTx!: () => void
      const gate = new Promise<void>((r) => {
        releaseTx = r
      })
      let inserted!: () => void
      const insertedP = new Promise<void>((r) => {
        inserted = r
      })
      const txDone = db.tx(async (tx) => {
        await tx.query('INSERT INTO items VALUES (1, $1)', ['pending'])
        inserted()
        await gate
      })
      await insertedP
      // Outside the transaction (another connection, or queued behind it on PGlite):
      // the uncommitted row must not be visible to a reader that runs before commit.
      const reader = db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')
      const raced = await Promise.race([
        reader.then((r) => r.rows[0]!.n),
        new Promise((r) => setTimeout(r, 200, 'waiting')),
      ])
      expect(raced === 0 || raced === 'waiting').toBe(true)
      releaseTx()
      await txDone
      const seen = (await reader).rows[0]!.n
      // PGlite serialises: its reader ran after the commit and sees 1; pg ran before and saw 0.
      expect(raced === 'waiting' ? seen === 1 : seen === 0).toBe(true)
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]!.n).toBe(1)
    })

    it('runs many concurrent transactions without losing an increment', async () => {
      const db = await makeDb()
      await db.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)')
      await db.query('INSERT INTO counter VALUES (1, 0)')
      await Promise.all(
        Array.from({ length: 50 }, () =>
          db.tx(async (tx) => {
            const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter WHERE id = 1 FOR UPDATE')
            await tx.query('UPDATE counter SET n = $1 WHERE id = 1', [rows[0]!.n + 1])
          }),
        ),
      )
      expect((await db.query('SELECT n FROM counter')).rows[0]).toEqual({ n: 50 })
    })

    it('delivers NOTIFY to LISTEN, only after commit, and stops after unlisten', async () => {
      const db = await makeDb()
      const channel = `${db.schema}_events`
      const got: string[] = []
      const unlisten = await db.listen(channel, (p) => got.push(p))
      await db.query('SELECT pg_notify($1, $2)', [channel, 'one'])
      await waitFor('the first notification', () => got.length === 1)
      await expect(
        db.tx(async (tx) => {
          await tx.query('SELECT pg_notify($1, $2)', [channel, 'rolled-back'])
          throw new Error('abort')
        }),
      ).rejects.toThrow('abort')
      await db.tx(async (tx) => {
        await tx.query('SELECT pg_notify($1, $2)', [channel, 'committed'])
      })
      await waitFor('the committed notification', () => got.length === 2)
      expect(got).toEqual(['one', 'committed'])
      await unlisten()
      await db.query('SELECT pg_notify($1, $2)', [channel, 'after'])
      await settle(200)
      expect(got).toEqual(['one', 'committed'])
    })

    it('keeps schema views apart on the same connections', async () => {
      const db = await makeDb()
      const other = db.withSchema(`${db.schema}_b`)
      await db.query(`CREATE SCHEMA IF NOT EXISTS "${other.schema}"`)
      await db.query('CREATE TABLE t (v text)')
      await other.query('CREATE TABLE t (v text)')
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => db.query('INSERT INTO t VALUES ($1)', [`a${i}`])),
        ...Array.from({ length: 20 }, (_, i) => other.query('INSERT INTO t VALUES ($1)', [`b${i}`])),
      ])
      const a = await db.query<{ v: string }>('SELECT v FROM t')
      const b = await other.query<{ v: string }>('SELECT v FROM t')
      expect(a.rows.every((r) => r.v.startsWith('a'))).toBe(true)
      expect(b.rows.every((r) => r.v.startsWith('b'))).toBe(true)
      expect(a.rows.length + b.rows.length).toBe(40)
    })

    it('gives a dedicated connection in the view’s schema, preparing each text once', async () => {
      const db = await makeDb()
      await freshTable(db)
      const other = db.withSchema(`${db.schema}_d`)
      await db.query(`CREATE SCHEMA IF NOT EXISTS "${other.schema}"`)
      await other.query('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)')
      await other.query("INSERT INTO items VALUES (1, 'other')")
      const conn = await db.dedicated()
      try {
        expect(conn.busy).toBe(false)
        await db.query('INSERT INTO items VALUES (1, $1)', ['pooled'])
        // Past five runs a prepared statement switches to its generic plan: same answers.
        for (let i = 0; i < 8; i++)
          expect((await conn.query('SELECT label FROM items WHERE id = $1', [1])).rows).toEqual([
            { label: 'pooled' },
          ])
        expect((await conn.query('INSERT INTO items VALUES ($1, $2)', [2, 'dedicated'])).rowCount).toBe(1)
        expect((await db.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 })
        // Pool traffic on another schema does not move the dedicated connection's search path.
        await other.query('SELECT 1 FROM items')
        expect((await conn.query('SELECT label FROM items WHERE id = $1', [1])).rows).toEqual([
          { label: 'pooled' },
        ])
        expect(conn.busy).toBe(false)
      } finally {
        await conn.close()
      }
    })

    it('runs multi-statement scripts with exec', async () => {
      const db = await makeDb()
      await db.exec('CREATE TABLE s1 (a int); CREATE TABLE s2 (b int); INSERT INTO s1 VALUES (7);')
      expect((await db.query('SELECT a FROM s1')).rows).toEqual([{ a: 7 }])
    })
  })
}
