/**
 * The race that used to deadlock: a post of a pending transfer that another process commits at
 * that very moment. The batch of the post locks its accounts in id order first; the pending
 * transfer commits after that, so its accounts are not in the batch's locks. The ledger used to
 * update them anyway, out of order, and a third batch holding one of them while it waited for
 * one of ours closed the cycle (40P01). On the locked path (a batch with a linked chain) the post
 * now answers pending_transfer_not_found (P's accounts are not in its locks) and every batch
 * finishes; on the optimistic path (sql/0008) the batch fails its attempt on A's Y, takes its
 * locks after A committed, and posts P. Needs several
 * connections to one PostgreSQL: PGlite has one, where batches never overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testServicesEnabled, testServiceUrls } from '../../../platform/config.js'
import { openPg } from '../../../platform/db/pg.js'
import type { Db } from '../../../platform/db/port.js'
import { uniqueId } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { account, ledgerStore, paymentsApp, type TestClient } from '../testing.js'
import { retryConflicts } from './expiry.js'
import type { TransferRequest } from './ports.js'
import { transferElement } from './store.pg.js'

describe.runIf(testServicesEnabled())('ledger lock order across processes (services)', () => {
  let c: TestClient
  let db: Db
  beforeAll(async () => {
    c = await paymentsApp('services')
    const schema = c.app.systems.find((s) => s.definition.name === 'payments')!.context.db.schema
    // A pool of its own, as another process would have.
    db = await openPg(testServiceUrls().databaseUrl, schema, { max: 4 })
    for (let i = 0; i < 6; i++) await account(c, `a${i}`)
  })
  afterAll(async () => {
    await db?.close()
    await c?.close()
  })

  const marker = `lock_race_${uniqueId()}`
  /** One batch as its own statement, tagged so that pg_stat_activity shows when it waits. */
  const batch = (tag: string, transfers: TransferRequest[], on = db) =>
    on
      .query<{ result: string }>(
        `SELECT /* ${marker}_${tag} */ result FROM ledger_create_transfers($1::jsonb) ORDER BY idx`,
        [JSON.stringify(transfers.map(transferElement))],
      )
      .then((r) => r.rows.map((x) => x.result))
  const waiting = async (tags: string[]) => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE ANY ($1::text[])`,
      [tags.map((t) => `%${marker}_${t} %`)],
    )
    return rows[0]!.n === tags.length
  }

  it.each([
    ['optimistic', false],
    ['locked', true],
  ])(
    'a post racing its pending transfer never deadlocks (%s path)',
    async (path, locked) => {
      const t = (id: string, debit: string, credit: string, kind: TransferRequest['kind'] = 'single') =>
        ({
          id,
          kind,
          debitAccountId: debit,
          creditAccountId: credit,
          amount: 5n,
          currency: 'usd',
        }) as TransferRequest
      let commitA!: () => void
      const aHolds = new Promise<void>((r) => {
        commitA = r
      })
      let aStarted!: () => void
      const aReady = new Promise<void>((r) => {
        aStarted = r
      })
      // A: creates pending P on a1 -> a2 (and Y), and keeps its transaction open.
      const a = db.tx(async (tx) => {
        const out = await batch(
          'a',
          [t(`P${path}`, 'a1', 'a2', 'pending'), t(`Y${path}`, 'a3', 'a4')],
          tx as Db,
        )
        aStarted()
        await aHolds
        return out
      })
      await aReady
      // B: locks a0 and a5, then waits on A's uncommitted Y; its post of P comes after that.
      // A linked chain at the end sends B down the locked path (lock in id order, then apply).
      const tail: TransferRequest[] = locked
        ? [{ ...t(`L1${path}`, 'a0', 'a5'), linked: true }, t(`L2${path}`, 'a5', 'a0')]
        : []
      const b = batch('b', [
        t(`Y${path}`, 'a0', 'a5'),
        { id: `X${path}`, kind: 'post', pendingId: `P${path}` },
        ...tail,
      ])
      await waitFor('B waiting on A', () => waiting(['b']), 30_000)
      // D: locks a2 (waits for A), then would need a5 (B's).
      const d = batch('d', [t(`Z${path}`, 'a2', 'a5')])
      await waitFor('B and D waiting', () => waiting(['b', 'd']), 30_000)
      commitA()
      const [ra, rb, rd] = await Promise.all([a, b, d])
      expect(ra).toEqual(['ok', 'ok'])
      // B ran after A (its Y met A's committed Y): its optimistic attempt (sql/0008) failed on
      // that id and the locked retry saw P, so its post of P applied, as B after A must.
      // Locked: B took its locks before P existed, so P is not B's to post.
      if (locked)
        expect(rb).toEqual(['exists_with_different_fields', 'pending_transfer_not_found', 'ok', 'ok'])
      else expect(rb).toEqual(['exists_with_different_fields', 'ok'])
      expect(rd).toEqual(['ok'])
      // Posted once by B, or still pending and posted now.
      expect(await batch('e', [{ id: `X2${path}`, kind: 'post', pendingId: `P${path}` }])).toEqual([
        locked ? 'ok' : 'pending_transfer_already_posted',
      ])
      expect(await ledgerStore(c).reconcile()).toEqual([])
    },
    120_000,
  )
})

describe('retryConflicts', () => {
  it('runs again after a deadlock or serialization failure, not after other errors', async () => {
    let calls = 0
    const out = await retryConflicts(async () => {
      calls++
      if (calls < 3)
        throw Object.assign(new Error('deadlock detected'), { code: calls === 1 ? '40P01' : '40001' })
      return 'done'
    })
    expect([out, calls]).toEqual(['done', 3])
    let other = 0
    await expect(
      retryConflicts(async () => {
        other++
        throw Object.assign(new Error('unique'), { code: '23505' })
      }),
    ).rejects.toThrow('unique')
    expect(other).toBe(1)
    let always = 0
    await expect(
      retryConflicts(async () => {
        always++
        throw Object.assign(new Error('deadlock'), { code: '40P01' })
      }, 4),
    ).rejects.toThrow('deadlock')
    expect(always).toBe(4)
  })
})
