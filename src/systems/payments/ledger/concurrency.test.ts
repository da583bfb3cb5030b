/**
 * Many concurrent transfers between a few accounts with balance limits, through the API (so
 * through group commit): afterwards every balance equals the sum of its transfers, no limit was
 * crossed, money is conserved, and every acknowledged transfer is there exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { account, ledgerStore, paymentsApp, type TestClient } from '../testing.js'

const ACCOUNTS = 8
const TRANSFERS = 3000

describe.each(backends())('ledger concurrency (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend)
    await account(c, 'mint', 'usd', 'none')
    for (let i = 0; i < ACCOUNTS; i++) await account(c, `acc${i}`, 'usd', 'debits_must_not_exceed_credits')
    const fund = await c.api('POST', '/ledger/transfers/batch', {
      transfers: Array.from({ length: ACCOUNTS }, (_, i) => ({
        id: `fund${i}`,
        debitAccountId: 'mint',
        creditAccountId: `acc${i}`,
        amount: 500,
        currency: 'usd',
      })),
    })
    expect(fund.json().results.every((r: { result: string }) => r.result === 'ok')).toBe(true)
  })
  afterAll(() => c.close())

  it(`${TRANSFERS} concurrent transfers between ${ACCOUNTS} limited accounts`, async () => {
    // A deterministic spread of pairs and amounts; amounts big enough that many are refused.
    const pair = (i: number) => {
      const d = (i * 7) % ACCOUNTS
      return { d, cr: (d + 1 + (i % (ACCOUNTS - 1))) % ACCOUNTS }
    }
    const sends = Array.from({ length: TRANSFERS }, async (_, i) => {
      const { d, cr } = pair(i)
      const body = {
        id: `x${i}`,
        debitAccountId: `acc${d}`,
        creditAccountId: `acc${cr}`,
        amount: 1 + (i % 97),
        currency: 'usd',
      }
      if (i % 3 !== 0) return { i, res: await c.api('POST', '/ledger/transfers', body) }
      // Every third: two-phase, then post half of it (or void every sixth).
      const res = await c.api('POST', '/ledger/transfers', { ...body, type: 'pending' })
      if (res.statusCode !== 201) return { i, res }
      const second =
        i % 6 === 0
          ? { id: `x${i}-void`, type: 'void', pendingId: `x${i}` }
          : {
              id: `x${i}-post`,
              type: 'post',
              pendingId: `x${i}`,
              amount: Math.max(1, Math.floor(body.amount / 2)),
            }
      return { i, res, second: await c.api('POST', '/ledger/transfers', second) }
    })
    const out = await Promise.all(sends)
    const statuses = new Map<number, number>()
    for (const o of out) {
      statuses.set(o.res.statusCode, (statuses.get(o.res.statusCode) ?? 0) + 1)
      expect([201, 422]).toContain(o.res.statusCode)
      if (o.res.statusCode === 422) expect(o.res.json().result).toBe('exceeds_credits')
      if (o.second) expect(o.second.statusCode, o.second.body).toBe(201)
    }
    // The load really hit the limits both ways.
    expect(statuses.get(201)).toBeGreaterThan(100)
    expect(statuses.get(422)).toBeGreaterThan(100)

    const store = ledgerStore(c)
    expect(await store.reconcile()).toEqual([])
    let total = 0n
    for (let i = 0; i < ACCOUNTS; i++) {
      const a = (await store.getAccount(`acc${i}`))!
      expect(a.debitsPending + a.debitsPosted).toBeLessThanOrEqual(a.creditsPosted)
      expect(a.debitsPending).toBe(0n)
      total += a.creditsPosted - a.debitsPosted
    }
    // Conserved: the accounts hold exactly what the mint put in.
    expect(total).toBe(BigInt(ACCOUNTS * 500))
    // Acknowledged exactly once: each 201 is a stored transfer; each refusal moved nothing.
    const acked = out.filter((o) => o.res.statusCode === 201).map((o) => `x${o.i}`)
    const stored = await store.getTransfers(acked)
    expect(stored.filter((t) => t.result === 'ok')).toHaveLength(acked.length)
  }, 180_000)
})
