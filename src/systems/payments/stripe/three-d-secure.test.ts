/**
 * 3-D Secure through stripe-node: Stripe's 3DS test cards leave a confirmed PaymentIntent in
 * `requires_action` with a `redirect_to_url` next action served by us; the page completes (the
 * card is charged once, even when submitted twice) or fails (`payment_intent_authentication_failure`,
 * and the customer can pay with another card), and sends the browser to the return_url with
 * Stripe's query. A wrong client secret sees nothing.
 */
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { ledgerStore, type StripeTestApp, stripeApp } from '../testing.js'

const RETURN = 'https://shop.example/return?order=7'

describe.each(backends())('3-D Secure through stripe-node (%s)', (backend) => {
  let t: StripeTestApp
  let stripe: Stripe
  beforeAll(async () => {
    t = await stripeApp(backend)
    stripe = t.stripe
  }, 180_000)
  afterAll(() => t?.close())

  const available = async () =>
    (await stripe.balance.retrieve()).available.find((b) => b.currency === 'usd')?.amount ?? 0
  /** What the customer's browser does on the page: a form POST. */
  const submit = (url: string, outcome: 'complete' | 'fail', secret?: string) => {
    const u = new URL(url)
    return fetch(u.origin + u.pathname, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_secret: secret ?? u.searchParams.get('client_secret')!,
        outcome,
      }).toString(),
    })
  }

  it('requires_action, then the challenge completed: charged once, back to the return_url', async () => {
    const before = await available()
    const pi = await stripe.paymentIntents.create({
      amount: 3_000,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: RETURN,
    })
    expect(pi.status).toBe('requires_action')
    expect(pi.latest_charge).toBeNull()
    expect(pi.next_action?.type).toBe('redirect_to_url')
    const url = pi.next_action!.redirect_to_url!.url!
    expect(url.startsWith(`${t.origin}/payments/3ds/${pi.id}?client_secret=`)).toBe(true)
    expect(pi.next_action!.redirect_to_url!.return_url).toBe(RETURN)
    expect(await available()).toBe(before)

    const challenge = await fetch(url)
    expect(challenge.status).toBe(200)
    expect(await challenge.text()).toContain('Complete authentication')
    const wrong = await fetch(url.replace(/client_secret=[^&]+/, 'client_secret=nope'))
    expect(wrong.status).toBe(404)
    expect((await submit(url, 'complete', 'nope')).status).toBe(404)

    const [first, second] = await Promise.all([submit(url, 'complete'), submit(url, 'complete')])
    for (const res of [first, second]) {
      expect(res.status).toBe(303)
      const back = new URL(res.headers.get('location')!)
      expect(back.origin + back.pathname).toBe('https://shop.example/return')
      expect(Object.fromEntries(back.searchParams)).toEqual({
        order: '7',
        payment_intent: pi.id,
        payment_intent_client_secret: pi.client_secret,
        redirect_status: 'succeeded',
      })
    }
    const done = await stripe.paymentIntents.retrieve(pi.id)
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 3_000, next_action: null })
    expect((await stripe.charges.list({ payment_intent: pi.id })).data).toHaveLength(1)
    expect(await available()).toBe(before + 3_000)
    expect((await fetch(url)).status).toBe(404)
    const types = (await stripe.events.list({ limit: 10 })).data
      .filter((e) => (e.data.object as { id?: string }).id === pi.id)
      .map((e) => e.type)
    expect(types).toEqual(
      expect.arrayContaining(['payment_intent.requires_action', 'payment_intent.succeeded']),
    )
  })

  it('a failed challenge: payment_intent_authentication_failure, then another card pays', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1_500,
      currency: 'usd',
      capture_method: 'manual',
    })
    const action = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_authenticationRequired',
    })
    expect(action.status).toBe('requires_action')
    const res = await submit(action.next_action!.redirect_to_url!.url!, 'fail')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Authentication failed')
    const failed = await stripe.paymentIntents.retrieve(pi.id)
    expect(failed.status).toBe('requires_payment_method')
    expect(failed.last_payment_error?.code).toBe('payment_intent_authentication_failure')
    const paid = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_threeDSecureRequired',
    })
    expect(paid.status).toBe('requires_action')
    expect((await submit(paid.next_action!.redirect_to_url!.url!, 'complete')).status).toBe(200)
    // Manual capture: authenticated, then held (a pending ledger transfer) until captured.
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_capture')
    expect((await stripe.paymentIntents.capture(pi.id)).status).toBe('succeeded')
    expect(await ledgerStore(t).reconcile()).toEqual([])
  })

  it('bad return_url and bad challenge posts are 4xx', async () => {
    const bad = await t.raw(
      'POST',
      '/v1/payment_intents',
      'amount=900&currency=usd&payment_method=pm_card_threeDSecure2Required&confirm=true&return_url=notaurl',
    )
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error).toMatchObject({ param: 'return_url' })
    const junk = await t.app.http.inject({
      method: 'POST',
      url: '/payments/3ds/pi_nope',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'outcome=maybe',
    })
    expect(junk.statusCode).toBe(400)
    expect((await t.app.http.inject({ method: 'GET', url: '/payments/3ds/pi_nope' })).statusCode).toBe(404)
  })
})
