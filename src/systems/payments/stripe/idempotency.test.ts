/**
 * Idempotency-Key as Stripe documents it: the same key and parameters replay the stored
 * response (its status too, a card error included); other parameters are an idempotency_error;
 * a refusal before execution stores nothing; concurrent requests with one key run it once;
 * keys are per account and forgotten after 24 hours.
 */
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { type StripeTestApp, stripeApp } from '../testing.js'

describe.each(backends())('Idempotency-Key (%s)', (backend) => {
  let t: StripeTestApp
  beforeAll(async () => {
    t = await stripeApp(backend)
  }, 120_000)
  afterAll(() => t?.close())

  const form = (o: Record<string, string>) => new URLSearchParams(o).toString()

  it('replays the first response, status and body, and moves money once', async () => {
    const key = 'order-1001'
    const body = form({ amount: '1234', currency: 'usd', payment_method: 'pm_card_visa', confirm: 'true' })
    const first = await t.raw('POST', '/v1/payment_intents', body, { 'idempotency-key': key })
    expect(first.statusCode).toBe(200)
    const again = await t.raw('POST', '/v1/payment_intents', body, { 'idempotency-key': key })
    expect(again.statusCode).toBe(200)
    expect(again.body).toBe(first.body)
    expect((again as unknown as { headers: Record<string, string> }).headers['idempotent-replayed']).toBe(
      'true',
    )
    const list = await t.stripe.paymentIntents.list({ limit: 100 })
    expect(list.data.filter((p) => p.amount === 1234)).toHaveLength(1)
    // stripe-node's own option gives the same.
    const a = await t.stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'cust-x' })
    const b = await t.stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'cust-x' })
    expect(b.id).toBe(a.id)
  })

  it('replays a card error with its 402, and refuses other parameters under the key', async () => {
    const key = 'declined-1'
    const body = form({
      amount: '999',
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclined',
      confirm: 'true',
    })
    const first = await t.raw('POST', '/v1/payment_intents', body, { 'idempotency-key': key })
    expect(first.statusCode).toBe(402)
    const again = await t.raw('POST', '/v1/payment_intents', body, { 'idempotency-key': key })
    expect([again.statusCode, again.body]).toEqual([402, first.body])
    const other = await t.stripe.customers
      .create({ email: 'y@example.com' }, { idempotencyKey: key })
      .catch((e) => e)
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(other.statusCode).toBe(400)
  })

  it('stores nothing for a request refused before it ran: corrected, the key works', async () => {
    const key = 'fix-me'
    const bad = await t.raw('POST', '/v1/customers', form({ email: 'nope' }), { 'idempotency-key': key })
    expect(bad.statusCode).toBe(400)
    const good = await t.raw('POST', '/v1/customers', form({ email: 'ok@example.com' }), {
      'idempotency-key': key,
    })
    expect(good.statusCode).toBe(200)
  })

  it('concurrent requests with one key: it runs once; the others replay it or get a 409', async () => {
    const body = form({ email: 'race@example.com', name: 'race' })
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.raw('POST', '/v1/customers', body, { 'idempotency-key': 'race-1' })),
    )
    const ok = answers.filter((a) => a.statusCode === 200)
    const busy = answers.filter((a) => a.statusCode === 409)
    expect(ok.length + busy.length).toBe(answers.length)
    expect(ok.length).toBeGreaterThan(0)
    expect(new Set(ok.map((a) => a.json().id)).size).toBe(1)
    for (const b of busy)
      expect(b.json().error).toMatchObject({ type: 'invalid_request_error', code: 'idempotency_key_in_use' })
    const named = await t.stripe.customers.list({ email: 'race@example.com' })
    expect(named.data).toHaveLength(1)
  })

  it('a key older than 24 hours is a new key', async () => {
    const body = form({ email: 'old@example.com' })
    const first = (await t.raw('POST', '/v1/customers', body, { 'idempotency-key': 'old-key' })).json()
    const sys = t.app.systems.find((s) => s.definition.name === 'payments')!
    await sys.context.db.query(
      "UPDATE stripe_idempotency SET created_at = now() - interval '25 hours' WHERE key = 'old-key'",
    )
    const second = (await t.raw('POST', '/v1/customers', body, { 'idempotency-key': 'old-key' })).json()
    expect(second.id).not.toBe(first.id)
  })
})
