/**
 * PaymentIntents are a projection of their events: after every kind of change through
 * stripe-node (create, update, decline, 3-D Secure, confirm, partial capture, cancel), each stored
 * PaymentIntent equals the last state of its changes, and the changes of one are its states in
 * order. Damaged behind the API's back (a status rewritten, a state wiped), the projection is
 * rebuilt from the events, and stripe-node reads exactly what it read before.
 */
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { type StripeTestApp, stripeApp } from '../testing.js'
import { paymentIntentDrift, rebuildPaymentIntents } from './projection.js'

describe.each(backends())('PaymentIntents rebuilt from their events (%s)', (backend) => {
  let t: StripeTestApp
  let stripe: Stripe
  beforeAll(async () => {
    t = await stripeApp(backend)
    stripe = t.stripe
  }, 180_000)
  afterAll(() => t?.close())

  const db = () => t.app.systems.find((s) => s.definition.name === 'payments')!.context.db

  it('every PaymentIntent is the fold of its changes, and is rebuilt from them', async () => {
    const captured = await stripe.paymentIntents.create({
      amount: 5_000,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { order: '1' },
    })
    await stripe.paymentIntents.update(captured.id, { metadata: { order: '1b' }, description: 'updated' })
    await stripe.paymentIntents
      .confirm(captured.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch(() => {})
    await stripe.paymentIntents.confirm(captured.id, { payment_method: 'pm_card_visa' })
    await stripe.paymentIntents.capture(captured.id, { amount_to_capture: 3_000 })
    const canceled = await stripe.paymentIntents.create({ amount: 700, currency: 'eur' })
    await stripe.paymentIntents.cancel(canceled.id, { cancellation_reason: 'abandoned' })
    const threeDs = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
    })
    const url = new URL(threeDs.next_action!.redirect_to_url!.url!)
    await fetch(url.origin + url.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_secret=${encodeURIComponent(url.searchParams.get('client_secret')!)}&outcome=complete`,
    })
    const ids = [captured.id, canceled.id, threeDs.id]
    const before = await Promise.all(ids.map((id) => stripe.paymentIntents.retrieve(id)))
    expect(before.map((p) => p.status)).toEqual(['succeeded', 'canceled', 'succeeded'])

    // The changes of one PaymentIntent are its states, in order.
    const { rows } = await db().query<{ status: string }>(
      `SELECT data->'state'->>'status' AS status FROM stripe_objects
        WHERE type = 'payment_intent_change' AND data->>'payment_intent' = $1 ORDER BY seq`,
      [captured.id],
    )
    expect(rows.map((r) => r.status)).toEqual([
      'requires_payment_method',
      'requires_payment_method',
      'requires_payment_method',
      'requires_capture',
      'succeeded',
    ])
    expect(await paymentIntentDrift(db())).toEqual([])

    // Damage the projection: a status rewritten, a state wiped.
    await db().query(
      `UPDATE stripe_objects SET data = jsonb_set(data, '{status}', '"processing"') WHERE id = $1`,
      [captured.id],
    )
    await db().query(
      `UPDATE stripe_objects SET data = jsonb_build_object('id', id, 'object', 'payment_intent') WHERE id = $1`,
      [threeDs.id],
    )
    expect(await paymentIntentDrift(db())).toEqual([captured.id, threeDs.id].sort())
    expect((await stripe.paymentIntents.retrieve(captured.id)).status).toBe('processing')

    expect(await rebuildPaymentIntents(db())).toEqual([captured.id, threeDs.id].sort())
    expect(await paymentIntentDrift(db())).toEqual([])
    expect(await Promise.all(ids.map((id) => stripe.paymentIntents.retrieve(id)))).toEqual(before)
    expect(await rebuildPaymentIntents(db())).toEqual([])
  })
})
