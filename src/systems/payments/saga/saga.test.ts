/**
 * The checkout saga in one process, against the faulty acquirer: the lost answer (charged, then
 * a timeout) resolved by asking the acquirer; errors retried; a decline, a refused capture and
 * a failed shipment compensated; duplicate callbacks recorded once; random faults on every call
 * of 16 concurrent checkouts; bad input refused with 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { type Json, paymentsApp, type TestClient } from '../testing.js'
import { SAGA_CARDS } from './acquirer.js'
import { UNSHIPPABLE_SKU } from './warehouse.js'

async function ended(c: TestClient, id: string): Promise<Json> {
  let co: Json
  await waitFor(
    `checkout ${id} to end`,
    async () => {
      co = (await c.api('GET', `/checkouts/${id}`)).json()
      return co.status === 'completed' || co.status === 'compensated'
    },
    120_000,
  )
  return co
}

const checkout = (id: string, card: string, sku = 'book', amount = 1200) => ({
  id,
  amount,
  currency: 'usd',
  card,
  sku,
  quantity: 1,
})

describe.each(backends())('checkout saga (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend)
    for (const sku of ['book', UNSHIPPABLE_SKU])
      expect((await c.api('PUT', `/warehouse/stock/${sku}`, { available: 100 })).statusCode).toBe(200)
  }, 120_000)
  afterAll(() => c?.close())

  it('the lost answer: the acquirer charged and timed out; the saga asks it and charges once', async () => {
    const res = await c.api('POST', '/checkouts', checkout('co_lost', SAGA_CARDS.chargedTimeout))
    expect(res.statusCode).toBe(202)
    const co = await ended(c, 'co_lost')
    expect(co.status).toBe('completed')
    expect(co.acquirer).toMatchObject({ state: 'captured', captured: 1200 })
    // One authorize call (it charged, the answer was lost), then a lookup instead of a retry.
    expect(co.acquirerCalls.authorize).toBe(1)
    expect(co.acquirerPayments).toBe(1)
    expect(co.acquirerCalls.lookup).toBeGreaterThanOrEqual(1)
    // The same id again: the same checkout, nothing new.
    const again = await c.api('POST', '/checkouts', checkout('co_lost', SAGA_CARDS.chargedTimeout))
    expect(again.statusCode).toBe(200)
    expect((await c.api('POST', '/checkouts', checkout('co_lost', SAGA_CARDS.ok))).statusCode).toBe(409)
  }, 150_000)

  it('acquirer errors are retried with the same key; then it completes', async () => {
    await c.api('POST', '/checkouts', checkout('co_flaky', SAGA_CARDS.flaky))
    const co = await ended(c, 'co_flaky')
    expect(co.status).toBe('completed')
    expect(co.tries.authorize).toBe(2)
    expect(co.acquirerCalls.authorize).toBe(3)
    expect(co.log.filter((l: Json) => l.action === 'retry').length).toBe(2)
  }, 150_000)

  it('a decline, a refused capture and a failed shipment are compensated in reverse order', async () => {
    const before = (await c.api('GET', `/warehouse/stock/book`)).json().available
    await c.api('POST', '/checkouts', checkout('co_declined', SAGA_CARDS.declined))
    await c.api('POST', '/checkouts', checkout('co_nocapture', SAGA_CARDS.captureFails))
    await c.api('POST', '/checkouts', checkout('co_noship', SAGA_CARDS.ok, UNSHIPPABLE_SKU))
    const declined = await ended(c, 'co_declined')
    expect(declined).toMatchObject({ status: 'compensated', done: ['reserve'], undone: ['release'] })
    expect(declined.failure).toMatch(/^authorize: card_declined/)
    expect(declined.acquirer).toBeNull()
    const nocapture = await ended(c, 'co_nocapture')
    expect(nocapture).toMatchObject({
      status: 'compensated',
      done: ['reserve', 'authorize'],
      undone: ['void', 'release'],
    })
    expect(nocapture.acquirer).toMatchObject({ state: 'voided', captured: 0 })
    const noship = await ended(c, 'co_noship')
    expect(noship).toMatchObject({
      status: 'compensated',
      done: ['reserve', 'authorize', 'capture'],
      undone: ['refund', 'release'],
    })
    expect(noship.acquirer).toMatchObject({ state: 'refunded', captured: 1200, refunded: 1200 })
    expect((await c.api('GET', `/warehouse/stock/book`)).json().available).toBe(before)
    expect((await c.api('GET', `/warehouse/stock/${UNSHIPPABLE_SKU}`)).json().available).toBe(100)
  }, 150_000)

  it('a settlement callback sent twice is recorded once', async () => {
    await c.api('POST', '/checkouts', checkout('co_dup', SAGA_CARDS.duplicateCallbacks))
    await ended(c, 'co_dup')
    await waitFor(
      'the duplicate callback',
      async () =>
        (await c.api('GET', '/checkouts/co_dup'))
          .json()
          .log.some((l: Json) => l.action === 'callback_duplicate'),
      60_000,
    )
    const log = (await c.api('GET', '/checkouts/co_dup')).json().log as Json[]
    expect(log.filter((l) => l.action === 'callback').length).toBe(1)
  }, 150_000)

  it('bad input: 4xx naming the problem, never a 5xx', async () => {
    const base = checkout('co_bad', SAGA_CARDS.ok)
    for (const body of [
      { ...base, amount: 0 },
      { ...base, amount: -5 },
      { ...base, amount: 1.5 },
      { ...base, amount: 2 ** 53 },
      { ...base, currency: 'xxx' },
      { ...base, card: 'abc' },
      { ...base, quantity: 0 },
      { ...base, extra: 1 },
      { ...base, id: 'no spaces' },
      'not json',
    ]) {
      const res = await c.api('POST', '/checkouts', body)
      expect(res.statusCode, JSON.stringify(body)).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, JSON.stringify(body)).toBeLessThan(500)
    }
    expect((await c.api('GET', '/checkouts/co_missing')).statusCode).toBe(404)
  })
})

describe.each(backends())('checkout saga under random acquirer faults (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend, {
      PAYMENTS_ACQUIRER_ERROR_PCT: '15',
      PAYMENTS_ACQUIRER_TIMEOUT_PCT: '15',
      PAYMENTS_ACQUIRER_CHARGED_TIMEOUT_PCT: '15',
      PAYMENTS_ACQUIRER_DUPLICATE_CALLBACK_PCT: '30',
      PAYMENTS_ACQUIRER_LATENCY_MS: '5',
      PAYMENTS_SAGA_MAX_TRIES: '3',
    })
    expect((await c.api('PUT', '/warehouse/stock/pen', { available: 10 })).statusCode).toBe(200)
  }, 120_000)
  afterAll(() => c?.close())

  it('16 checkouts for 10 pens: each ends completed or compensated, money and stock add up', async () => {
    const ids = Array.from({ length: 16 }, (_, i) => `co_f${i}`)
    await Promise.all(
      ids.map((id, i) => c.api('POST', '/checkouts', checkout(id, SAGA_CARDS.ok, 'pen', 100 + i))),
    )
    const all = await Promise.all(ids.map((id) => ended(c, id)))
    const completed = all.filter((co) => co.status === 'completed')
    // Stock is never oversold: 10 pens at most, and what is not sold is back.
    expect(completed.length).toBeLessThanOrEqual(10)
    expect((await c.api('GET', '/warehouse/stock/pen')).json().available).toBe(10 - completed.length)
    for (const co of all) {
      // Never more than one payment at the acquirer per checkout, whatever the faults.
      expect(co.acquirerPayments).toBeLessThanOrEqual(1)
      if (co.status === 'completed')
        expect(co.acquirer).toMatchObject({ state: 'captured', captured: co.amount })
      // Compensated: nothing charged stays charged.
      else expect(['voided', 'blocked', 'refunded', undefined]).toContain(co.acquirer?.state)
      if (co.acquirer?.state === 'refunded') expect(co.acquirer.refunded).toBe(co.acquirer.captured)
    }
    // The merchant's ledger account holds exactly the completed checkouts' money.
    const merchant = (await c.api('GET', '/ledger/accounts/saga:merchant:usd')).json()
    const sum = completed.reduce((s, co) => s + co.amount, 0)
    expect(Number(merchant.creditsPosted ?? 0) - Number(merchant.debitsPosted ?? 0)).toBe(sum)
    expect((await c.api('GET', '/ledger/reconciliation')).json().discrepancies).toEqual([])
  }, 240_000)
})
