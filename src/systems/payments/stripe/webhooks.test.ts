/**
 * Webhooks as Stripe sends them: an endpoint registered through stripe-node, events delivered by
 * the job engine to a loopback receiver that fails its first attempts (retried with backoff until
 * it answers 2xx), each delivery verified with stripe-node's `stripe.webhooks.constructEvent`
 * against the endpoint's secret; only the enabled event types arrive.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { type StripeTestApp, stripeApp } from '../testing.js'

interface Received {
  body: string
  signature: string
  status: number
}

describe.each(backends())('webhooks (%s)', (backend) => {
  let t: StripeTestApp
  let server: Server
  let port = 0
  const received: Received[] = []
  /** The receiver answers 500 to the first attempts of each event, then 200. */
  const failuresPerEvent = 2
  const attempts = new Map<string, number>()

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => {
        body += d
      })
      req.on('end', () => {
        const id = (JSON.parse(body) as { id: string }).id
        const n = (attempts.get(id) ?? 0) + 1
        attempts.set(id, n)
        const status = n <= failuresPerEvent ? 500 : 200
        received.push({ body, signature: String(req.headers['stripe-signature']), status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    t = await stripeApp(backend, {
      PAYMENTS_WEBHOOK_ALLOWED_TARGETS: `127.0.0.1:${port}`,
      PAYMENTS_WEBHOOK_BACKOFF_BASE_MS: '50',
      PAYMENTS_WEBHOOK_BACKOFF_MAX_MS: '200',
    })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await new Promise((r) => server?.close(r))
  })

  it('delivers signed events, retrying failures, verified by constructEvent', async () => {
    const stripe = t.stripe
    const endpoint = await stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${port}/hook`,
      enabled_events: ['payment_intent.succeeded', 'charge.refunded'],
    })
    expect(endpoint.secret).toMatch(/^whsec_/)
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined()
    await stripe.customers.create({ email: 'not-delivered@example.com' })
    const pi = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    await stripe.refunds.create({ payment_intent: pi.id, amount: 200 })

    const delivered = () => received.filter((r) => r.status === 200)
    await waitFor('both events delivered', () => delivered().length >= 2, 90_000)
    const events = delivered().map((r) =>
      stripe.webhooks.constructEvent(r.body, r.signature, endpoint.secret!),
    )
    expect(events.map((e) => e.type).sort()).toEqual(['charge.refunded', 'payment_intent.succeeded'])
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded')!
    expect((succeeded.data.object as Stripe.PaymentIntent).id).toBe(pi.id)
    // Each event was refused twice first and retried until accepted, with fresh signatures.
    for (const e of events) expect(attempts.get(e.id)).toBe(failuresPerEvent + 1)
    // The stored events are the ones delivered.
    expect((await stripe.events.retrieve(succeeded.id)).type).toBe('payment_intent.succeeded')
    // A wrong secret or a tampered body does not verify.
    const one = delivered()[0]!
    expect(() => stripe.webhooks.constructEvent(one.body, one.signature, 'whsec_wrong')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    )
    expect(() =>
      stripe.webhooks.constructEvent(one.body.replace('4200', '4201'), one.signature, endpoint.secret!),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError)
    // Nothing else arrived (customer.created and the others are not enabled).
    expect(new Set(received.map((r) => (JSON.parse(r.body) as { type: string }).type))).toEqual(
      new Set(['payment_intent.succeeded', 'charge.refunded']),
    )
  }, 120_000)

  it('a deleted endpoint gets nothing more; bad URLs and unknown event types are refused', async () => {
    const stripe = t.stripe
    const list = await stripe.webhookEndpoints.list()
    for (const e of list.data) await stripe.webhookEndpoints.del(e.id)
    const before = received.length
    await stripe.paymentIntents.create({
      amount: 5100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const bad = await stripe.webhookEndpoints
      .create({ url: 'ftp://example.com/x', enabled_events: ['*'] })
      .catch((e) => e)
    expect(bad).toMatchObject({ statusCode: 400, param: 'url' })
    const unknownType = await stripe.webhookEndpoints
      .create({
        url: 'https://example.com/x',
        enabled_events: ['nope.nope' as Stripe.WebhookEndpointCreateParams.EnabledEvent],
      })
      .catch((e) => e)
    expect(unknownType).toMatchObject({ statusCode: 400, param: 'enabled_events[0]' })
    // No endpoint: the payment's events were recorded, nothing was sent.
    expect(
      (await stripe.events.list({ type: 'payment_intent.succeeded', limit: 1 })).data[0]!.pending_webhooks,
    ).toBe(0)
    expect(received.length).toBe(before)
  })
  it('an endpoint on a private address that is not allowed gets no request: each attempt fails at dial', async () => {
    const stripe = t.stripe
    const failed = async () => {
      const m = t.app.metrics.registry.getSingleMetric('payments_webhook_attempts_total')!
      const values = (await m.get()).values as { labels: { outcome?: string }; value: number }[]
      return values.find((v) => v.labels.outcome === 'failed')?.value ?? 0
    }
    // A listening receiver on loopback that is not in PAYMENTS_WEBHOOK_ALLOWED_TARGETS.
    let hits = 0
    const other = createServer((_req, res) => {
      hits++
      res.writeHead(200).end()
    })
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r))
    try {
      const before = await failed()
      const blocked = await stripe.webhookEndpoints.create({
        url: `http://127.0.0.1:${(other.address() as AddressInfo).port}/hook`,
        enabled_events: ['payment_intent.created'],
      })
      await stripe.paymentIntents.create({ amount: 700, currency: 'usd' })
      await waitFor('a refused delivery attempt', async () => (await failed()) > before, 60_000)
      await stripe.webhookEndpoints.del(blocked.id)
      expect(hits).toBe(0)
    } finally {
      await new Promise((r) => other.close(r))
    }
  }, 120_000)
})
