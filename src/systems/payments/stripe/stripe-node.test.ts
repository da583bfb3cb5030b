/**
 * The Stripe API through stripe-node itself, unchanged but for host, port and protocol:
 * customers, PaymentIntents (automatic and manual capture, partial capture, cancel, declines),
 * refunds, the balance, events, lists with auto-pagination, and every cent checked against
 * the ledger underneath (balances = sums of transfers, the account balance what moved).
 */
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { ledgerStore, type StripeTestApp, stripeApp } from '../testing.js'

describe.each(backends())('stripe-node against /v1 (%s)', (backend) => {
  let t: StripeTestApp
  let stripe: Stripe
  beforeAll(async () => {
    t = await stripeApp(backend)
    stripe = t.stripe
  }, 120_000)
  afterAll(() => t?.close())

  const available = async (currency = 'usd') =>
    (await stripe.balance.retrieve()).available.find((b) => b.currency === currency)?.amount ?? 0

  it('customers: create, retrieve, update metadata, delete', async () => {
    const c = await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada',
      metadata: { plan: 'pro' },
    })
    expect(c).toMatchObject({
      object: 'customer',
      email: 'ada@example.com',
      metadata: { plan: 'pro' },
      livemode: false,
    })
    expect(c.id).toMatch(/^cus_[A-Za-z0-9]{24}$/)
    const u = await stripe.customers.update(c.id, { metadata: { plan: '', seats: '3' }, name: 'Ada L.' })
    expect(u.metadata).toEqual({ seats: '3' })
    expect((await stripe.customers.retrieve(c.id)) as Stripe.Customer).toMatchObject({ name: 'Ada L.' })
    expect(await stripe.customers.del(c.id)).toEqual({ id: c.id, object: 'customer', deleted: true })
    expect(await stripe.customers.retrieve(c.id)).toMatchObject({ id: c.id, deleted: true })
    const missing = await stripe.customers.retrieve('cus_nope').catch((e) => e)
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' })
  })

  it('a PaymentIntent with automatic capture moves the money through the ledger', async () => {
    const before = await available()
    const customer = await stripe.customers.create({ email: 'buyer@example.com' })
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: customer.id })
    expect(pi.status).toBe('requires_payment_method')
    const done = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' })
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 2000, payment_method: 'pm_card_visa' })
    const charge = await stripe.charges.retrieve(done.latest_charge as string)
    expect(charge).toMatchObject({ captured: true, amount_captured: 2000, paid: true, payment_intent: pi.id })
    expect(await available()).toBe(before + 2000)
    const expanded = await stripe.paymentIntents.retrieve(pi.id, { expand: ['customer', 'latest_charge'] })
    expect((expanded.customer as Stripe.Customer).email).toBe('buyer@example.com')
    expect((expanded.latest_charge as Stripe.Charge).id).toBe(charge.id)
    const again = await stripe.paymentIntents
      .confirm(pi.id, { payment_method: 'pm_card_visa' })
      .catch((e) => e)
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' })
    expect(await available()).toBe(before + 2000)
  })

  it('manual capture is a ledger hold: partial capture posts part, the rest is released; cancel voids', async () => {
    const before = await available()
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_mastercard',
      confirm: true,
    })
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 5000, amount_received: 0 })
    const hold = (await ledgerStore(t).getTransfers([`${pi.id}:auth`]))[0]
    expect(hold).toMatchObject({ kind: 'pending', state: 'pending', amount: 5000n })
    expect(await available()).toBe(before)
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3500 })
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 3500, amount_capturable: 0 })
    expect((await ledgerStore(t).getTransfers([`${pi.id}:auth`]))[0]!.state).toBe('posted')
    expect(await available()).toBe(before + 3500)

    const held = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const canceled = await stripe.paymentIntents.cancel(held.id, {
      cancellation_reason: 'requested_by_customer',
    })
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' })
    expect((await ledgerStore(t).getTransfers([`${held.id}:auth`]))[0]!.state).toBe('voided')
    expect(await available()).toBe(before + 3500)
    const late = await stripe.paymentIntents.capture(held.id).catch((e) => e)
    expect(late).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' })
  })

  it("declined test cards answer Stripe's card errors and leave the PaymentIntent retryable", async () => {
    const cases = [
      ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ] as const
    for (const [pm, code, decline] of cases) {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'eur' })
      const err = await stripe.paymentIntents.confirm(pi.id, { payment_method: pm }).catch((e) => e)
      expect(err).toBeInstanceOf(Stripe.errors.StripeCardError)
      expect(err).toMatchObject({ statusCode: 402, code, decline_code: decline })
      expect(err.payment_intent).toMatchObject({ id: pi.id, status: 'requires_payment_method' })
      const ok = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' })
      expect(ok.status).toBe('succeeded')
    }
    // A PaymentMethod made from a test card number behaves like its number.
    const pm = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000009995', exp_month: 12, exp_year: 2034, cvc: '123' },
    })
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '9995' })
    const err = await stripe.paymentIntents
      .create({ amount: 900, currency: 'eur', payment_method: pm.id, confirm: true })
      .catch((e) => e)
    expect(err).toMatchObject({ type: 'StripeCardError', decline_code: 'insufficient_funds' })
    expect(await available('eur')).toBe(3000)
  })

  it('refunds: partial, several, never beyond the charge, back through the ledger', async () => {
    const before = await available()
    const pi = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const r1 = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 1000,
      reason: 'requested_by_customer',
    })
    expect(r1).toMatchObject({ object: 'refund', amount: 1000, status: 'succeeded', payment_intent: pi.id })
    const r2 = await stripe.refunds.create({ charge: pi.latest_charge as string })
    expect(r2.amount).toBe(2000)
    const over = await stripe.refunds.create({ payment_intent: pi.id, amount: 100 }).catch((e) => e)
    expect(over).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' })
    expect((await stripe.charges.retrieve(pi.latest_charge as string)).refunded).toBe(true)
    expect(await available()).toBe(before)
    const listed = await stripe.refunds.list({ payment_intent: pi.id })
    expect(listed.data.map((r) => r.id)).toEqual([r2.id, r1.id])
    expect(await ledgerStore(t).reconcile()).toEqual([])
  })

  it('lists page with starting_after / ending_before / has_more, and auto-pagination sees each once', async () => {
    const made: string[] = []
    for (let i = 0; i < 23; i++)
      made.push((await stripe.customers.create({ email: `page${i}@example.com` })).id)
    const first = await stripe.customers.list({ limit: 5 })
    expect(first.has_more).toBe(true)
    expect(first.data.map((c) => c.id)).toEqual(made.slice(-5).reverse())
    const back = await stripe.customers.list({ limit: 3, ending_before: first.data[4]!.id })
    expect(back.data.map((c) => c.id)).toEqual(first.data.slice(1, 4).map((c) => c.id))
    const seen: string[] = []
    for await (const c of stripe.customers.list({ limit: 4 })) seen.push(c.id)
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of made) expect(seen).toContain(id)
    const events = await stripe.events.list({ type: 'customer.created', limit: 100 })
    expect(events.data.length).toBeGreaterThanOrEqual(23)
    expect(events.data.every((e) => e.type === 'customer.created')).toBe(true)
  })

  it('refuses requests without a valid secret key', async () => {
    const url = new URL(t.origin)
    const wrong = new Stripe('sk_test_wrongwrongwrongwrongwrong00', {
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
    })
    const err = await wrong.customers.list().catch((e) => e)
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(err.statusCode).toBe(401)
    const none = await fetch(`${t.origin}/v1/customers`)
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')
  })
})
