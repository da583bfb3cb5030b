/**
 * The reconciliation job alarms on a difference: a balance changed behind the ledger's back (an
 * UPDATE by hand) makes the registered task set `payments_ledger_discrepancies` to the number of
 * differing balances and log each at error level; put back, the next run reads 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskContext } from '../../../platform/jobs/types.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { Registry } from '../../../platform/telemetry/metrics.js'
import { backends } from '../../../platform/testing/backends.js'
import { account, paymentsApp, type TestClient } from '../testing.js'
import { RECONCILE_TASK, reconcileMetrics, reconcileTask } from './reconcile.js'
import { PgLedgerStore } from './store.pg.js'

describe.each(backends())('ledger reconciliation job (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend)
    await account(c, 'bank')
    await account(c, 'wallet', 'usd', 'debits_must_not_exceed_credits')
    const res = await c.api('POST', '/ledger/transfers', {
      id: 'deposit',
      debitAccountId: 'bank',
      creditAccountId: 'wallet',
      amount: 500,
      currency: 'usd',
    })
    expect(res.statusCode).toBe(201)
  })
  afterAll(() => c?.close())

  const system = () => c.app.systems.find((s) => s.definition.name === 'payments')!
  const gauge = async () => {
    const res = await c.app.http.inject({ method: 'GET', url: '/metrics' })
    return /^payments_ledger_discrepancies (\d+)$/m.exec(res.body)?.[1]
  }

  it('is registered, and the registered task sets the gauge', async () => {
    const task = system().instance.tasks?.[RECONCILE_TASK]
    expect(task).toBeDefined()
    await task!.handler(undefined, {} as TaskContext)
    expect(await gauge()).toBe('0')
    const db = system().context.db
    await db.query(`UPDATE ledger_accounts SET credits_posted = credits_posted + 7 WHERE id = 'wallet'`)
    try {
      expect(await task!.handler(undefined, {} as TaskContext)).toEqual({ discrepancies: 1 })
      expect(await gauge()).toBe('1')
    } finally {
      await db.query(`UPDATE ledger_accounts SET credits_posted = credits_posted - 7 WHERE id = 'wallet'`)
    }
    await task!.handler(undefined, {} as TaskContext)
    expect(await gauge()).toBe('0')
  })

  it('logs each difference with the account and both figures', async () => {
    const db = system().context.db
    const errors: unknown[] = []
    const log = { error: (o: unknown) => errors.push(o) } as unknown as Logger
    const metrics = reconcileMetrics(new Registry())
    const task = reconcileTask(() => new PgLedgerStore(db).reconcile(), metrics, log)
    await db.query(`UPDATE ledger_accounts SET debits_posted = debits_posted + 3 WHERE id = 'bank'`)
    try {
      await task.handler(undefined, {} as TaskContext)
    } finally {
      await db.query(`UPDATE ledger_accounts SET debits_posted = debits_posted - 3 WHERE id = 'bank'`)
    }
    expect(errors).toEqual([
      expect.objectContaining({
        event: 'payments.ledger.discrepancy',
        accountId: 'bank',
        field: 'debitsPosted',
        stored: '503',
        fromTransfers: '500',
      }),
    ])
    expect((await metrics.discrepancies.get()).values[0]?.value).toBe(1)
    expect((await metrics.runs.get()).values).toEqual([
      expect.objectContaining({ labels: { outcome: 'discrepancies' }, value: 1 }),
    ])
  })
})
