/**
 * Balance, BalanceTransactions and Payouts through stripe-node: a charge, a refund, two payouts
 * (one paid by the simulated bank, one canceled), one refused for lack of balance. Every movement
 * has its balance transaction, their sum is the balance, and the ledger reconciles. The bank is
 * slow here (PAYMENTS_PAYOUT_DELAY_MS one hour) so that a payout stays pending until the test
 * runs the bank's task itself: the outcome never depends on timing.
 */
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskContext } from '../../../platform/jobs/types.js'
import { backends } from '../../../platform/testing/backends.js'
import { ledgerStore, type StripeTestApp, stripeApp } from '../testing.js'
import { PAYOUT_TASK } from './payouts.js'

describe.each(backends())('payouts and balance transactions through stripe-node (%s)', (backend) => {
  let t: StripeTestApp
  let stripe: Stripe
  beforeAll(async () => {
    t = await stripeApp(backend, { PAYMENTS_PAYOUT_DELAY_MS: '3600000' })
    stripe = t.stripe
  }, 180_000)
  afterAll(() => t?.close())

  const system = () => t.app.systems.find((s) => s.definition.name === 'payments')!
  const available = async () =>
    (await stripe.balance.retrieve()).available.find((b) => b.currency === 'usd')?.amount ?? 0
  /** The simulated bank answers now (what its job does after the delay). */
  const bankPays = async (payout: string) => {
    const { rows } = await system().context.db.query<{ account_id: string }>(
      'SELECT account_id FROM stripe_objects WHERE id = $1',
      [payout],
    )
    return system().instance.tasks![PAYOUT_TASK]!.handler(
      { account: rows[0]!.account_id, payout },
      {} as TaskContext,
    )
  }

  it('every movement of the balance is a balance transaction; payouts reserve, pay and cancel', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    const chargeBt = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string)
    expect(chargeBt).toMatchObject({
      object: 'balance_transaction',
      type: 'charge',
      amount: 10_000,
      fee: 0,
      net: 10_000,
      currency: 'usd',
      source: charge.id,
      status: 'available',
      reporting_category: 'charge',
    })
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 1_000 })
    expect(await stripe.balanceTransactions.retrieve(refund.balance_transaction as string)).toMatchObject({
      type: 'refund',
      amount: -1_000,
      net: -1_000,
      source: refund.id,
    })
    expect(await available()).toBe(9_000)

    const a = await stripe.payouts.create({ amount: 4_000, currency: 'usd', description: 'weekly' })
    expect(a).toMatchObject({
      object: 'payout',
      status: 'pending',
      amount: 4_000,
      currency: 'usd',
      livemode: false,
    })
    expect(a.id).toMatch(/^po_/)
    const b = await stripe.payouts.create({ amount: 2_000, currency: 'usd', metadata: { run: 'b' } })
    // Reserved at once: a payout cannot spend what another already took.
    expect(await available()).toBe(3_000)
    const tooMuch = await stripe.payouts.create({ amount: 3_001, currency: 'usd' }).catch((e) => e)
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'balance_insufficient' })

    const canceled = await stripe.payouts.cancel(b.id)
    expect(canceled).toMatchObject({ status: 'canceled', metadata: { run: 'b' } })
    expect(await available()).toBe(5_000)
    const twice = await stripe.payouts.cancel(b.id).catch((e) => e)
    expect(twice).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' })
    expect(await bankPays(b.id)).toEqual({ status: 'canceled' })

    expect(await bankPays(a.id)).toEqual({ status: 'paid' })
    expect(await bankPays(a.id)).toEqual({ status: 'paid' })
    const paid = await stripe.payouts.retrieve(a.id, { expand: ['balance_transaction'] })
    expect(paid.status).toBe('paid')
    expect(paid.balance_transaction).toMatchObject({ type: 'payout', amount: -4_000 })
    expect(await available()).toBe(5_000)
    expect((await stripe.payouts.cancel(a.id).catch((e) => e)).statusCode).toBe(400)

    // The balance is the sum of its balance transactions (read with auto-pagination).
    const types: string[] = []
    let sum = 0
    for await (const bt of stripe.balanceTransactions.list({ limit: 2 })) {
      types.push(bt.type)
      sum += bt.net
    }
    expect(types.sort()).toEqual(['charge', 'payout', 'payout', 'payout_cancel', 'refund'])
    expect(sum).toBe(await available())
    const payoutsOnly = await stripe.balanceTransactions.list({ type: 'payout' })
    expect(payoutsOnly.data.map((x) => x.amount).sort((x, y) => x - y)).toEqual([-4_000, -2_000])
    expect((await stripe.payouts.list({ status: 'paid' })).data.map((p) => p.id)).toEqual([a.id])
    const events = await stripe.events.list({ type: 'payout.paid' })
    expect(events.data.map((e) => (e.data.object as Stripe.Payout).id)).toEqual([a.id])
    expect(await ledgerStore(t).reconcile()).toEqual([])
  })

  it('bad payouts are Stripe-shaped 4xx', async () => {
    const zero = await t.raw('POST', '/v1/payouts', 'amount=0&currency=usd')
    expect(zero.statusCode).toBe(400)
    expect(zero.json().error).toMatchObject({ code: 'amount_too_small', param: 'amount' })
    const noCurrency = await t.raw('POST', '/v1/payouts', 'amount=100')
    expect(noCurrency.json().error).toMatchObject({ code: 'parameter_missing', param: 'currency' })
    const fraction = await t.raw('POST', '/v1/payouts', 'amount=1.5&currency=usd')
    expect(fraction.json().error).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' })
    const unknown = await t.raw('POST', '/v1/payouts', 'amount=100&currency=usd&destination=ba_x')
    expect(unknown.json().error).toMatchObject({ code: 'parameter_unknown', param: 'destination' })
    const missing = await t.raw('GET', '/v1/payouts/po_nope')
    expect(missing.statusCode).toBe(404)
    expect((await t.raw('GET', '/v1/balance_transactions/txn_nope')).statusCode).toBe(404)
  })
})
