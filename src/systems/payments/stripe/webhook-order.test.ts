/**
 * Webhooks in order per object: several PaymentIntents go through create, confirm (manual
 * capture), capture and refund at once while the receiver refuses about a third of the requests
 * at random. Every event is delivered, and for each object the receiver never gets an event
 * after a later event of that object: a retried delivery holds back the object's later events
 * instead of letting them overtake it.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { type StripeTestApp, stripeApp } from '../testing.js'

interface Hit {
  event: Stripe.Event
  status: number
}

describe.each(backends())('webhook order per object (%s)', (backend) => {
  let t: StripeTestApp
  let server: Server
  let port = 0
  const hits: Hit[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => {
        body += d
      })
      req.on('end', () => {
        const status = Math.random() < 0.35 ? 500 : 200
        hits.push({ event: JSON.parse(body) as Stripe.Event, status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    t = await stripeApp(backend, {
      PAYMENTS_WEBHOOK_ALLOWED_TARGETS: `127.0.0.1:${port}`,
      PAYMENTS_WEBHOOK_BACKOFF_BASE_MS: '20',
      PAYMENTS_WEBHOOK_BACKOFF_MAX_MS: '100',
      PAYMENTS_WEBHOOK_MAX_ATTEMPTS: '100',
    })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await new Promise((r) => server?.close(r))
  })

  it('delivers every event, each object in the order its events were written, through retries', async () => {
    const stripe = t.stripe
    await stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${port}/hook`, enabled_events: ['*'] })
    const lifecycle = async (i: number) => {
      const pi = await stripe.paymentIntents.create({
        amount: 1000 + i,
        currency: 'usd',
        capture_method: 'manual',
        payment_method: 'pm_card_visa',
      })
      await stripe.paymentIntents.confirm(pi.id)
      await stripe.paymentIntents.update(pi.id, { metadata: { step: 'confirmed' } })
      await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 900 })
      await stripe.refunds.create({ payment_intent: pi.id, amount: 100 })
      await stripe.refunds.create({ payment_intent: pi.id, amount: 200 })
    }
    await Promise.all(Array.from({ length: 6 }, (_, i) => lifecycle(i)))

    // Every event, in the order written (the list is newest first).
    const written: Stripe.Event[] = []
    for await (const e of stripe.events.list({ limit: 100 })) written.push(e)
    written.reverse()
    const objectOf = (e: Stripe.Event) => (e.data.object as { id: string }).id
    const delivered = () => new Set(hits.filter((h) => h.status === 200).map((h) => h.event.id))
    await waitFor('every event delivered', () => written.every((e) => delivered().has(e.id)), 120_000)

    const position = new Map(written.map((e, i) => [e.id, i]))
    const byObject = new Map<string, number[]>()
    for (const h of hits) {
      const list = byObject.get(objectOf(h.event)) ?? []
      list.push(position.get(h.event.id)!)
      byObject.set(objectOf(h.event), list)
    }
    // Objects with several events: PaymentIntents and charges.
    expect([...byObject.values()].filter((l) => new Set(l).size >= 3).length).toBeGreaterThanOrEqual(12)
    for (const [object, seen] of byObject) {
      // Requests as they arrived (retries included) never go back to an earlier event.
      const sorted = [...seen].sort((a, b) => a - b)
      expect(seen, `arrival order of ${object}'s events`).toEqual(sorted)
    }
    // Some requests were refused and retried: the order held through retries.
    expect(hits.some((h) => h.status === 500)).toBe(true)
  }, 240_000)
})
