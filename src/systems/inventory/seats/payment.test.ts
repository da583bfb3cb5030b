/**
 * Confirm paying through a real payments process (its Stripe-shaped /v1 API, as an outside client
 * calls it), on each backend: a paid hold's order records its PaymentIntent, which succeeded for
 * the seats' price with the hold in its metadata; a declined card releases the hold (402); a
 * lapsed hold is refused before any charge; with payments killed the confirm is a 503 and the hold
 * stands. The simulated payment (no INVENTORY_PAYMENTS_URL) is what every other test runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, backends } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { waitFor } from '../../../platform/testing/wait.js'
import {
  APP_TIMEOUT_MS,
  expectStatus,
  inventoryApp,
  seatStore,
  simpleShow,
  states,
  type TestClient,
} from '../testing.js'

const KEY = 'sk_test_inventory0123456789abcdefghij'

describe.each(backends())('confirm through the payments system (%s)', (backend) => {
  let payments: ServerProcess
  let c: TestClient
  beforeAll(async () => {
    payments = await startServer({
      entry: 'src/main.ts',
      env: {
        SYSTEMS: 'payments',
        PAYMENTS_INITIAL_SECRET_KEY: KEY,
        ...(backend === 'services' ? backendEnv('services') : {}),
      },
      timeoutMs: 110_000,
    })
    c = await inventoryApp(backend, { INVENTORY_PAYMENTS_URL: payments.url, INVENTORY_PAYMENTS_KEY: KEY })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await c?.close()
    if (payments && payments.child.exitCode === null && payments.child.signalCode === null)
      payments.kill('SIGTERM')
    await payments?.exited
  })

  const paymentIntent = async (id: string) => {
    const res = await fetch(`${payments.url}/v1/payment_intents/${id}`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    expect(res.status).toBe(200)
    return res.json() as Promise<{
      status: string
      amount: number
      currency: string
      metadata: Record<string, string>
    }>
  }

  it('pays one PaymentIntent per hold; a declined card releases the hold; a lapsed hold is never charged', async () => {
    const show = await simpleShow(c, 1, 6)
    const h = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 2 }), 201)
    const order = expectStatus(await c.api('POST', `/holds/${h.id}/confirm`), 200)
    expect(order.amount).toBe(2000)
    const { rows } = await seatStore(c).db.query<{ payment: string }>(
      'SELECT payment FROM orders WHERE id = $1',
      [order.orderId],
    )
    expect(rows[0]!.payment).toMatch(/^pi_/)
    const pi = await paymentIntent(rows[0]!.payment)
    expect(pi).toMatchObject({ status: 'succeeded', amount: 2000, currency: 'usd', metadata: { hold: h.id } })
    expect(expectStatus(await c.api('POST', `/holds/${h.id}/confirm`), 409).code).toBe(
      'INVENTORY_HOLD_CONFIRMED',
    )

    const d = expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-1'] }), 201)
    const declined = expectStatus(
      await c.api('POST', `/holds/${d.id}/confirm?paymentMethod=pm_card_chargeDeclined`),
      402,
    )
    expect(declined.code).toBe('INVENTORY_PAYMENT_DECLINED')
    expect(expectStatus(await c.api('GET', `/holds/${d.id}`), 200).state).toBe('released')
    expect((await states(c, show)).get('S-A-1')).toBe('free')

    const lapsing = expectStatus(
      await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-6'], ttlSeconds: 1 }),
      201,
    )
    await waitFor(
      'hold lapsed',
      async () => expectStatus(await c.api('GET', `/holds/${lapsing.id}`), 200).state === 'expired',
      30_000,
    )
    expect(expectStatus(await c.api('POST', `/holds/${lapsing.id}/confirm`), 409).code).toBe(
      'INVENTORY_HOLD_EXPIRED',
    )
    const charged = await fetch(`${payments.url}/v1/payment_intents?limit=100`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    const list = (await charged.json()) as { data: { metadata: Record<string, string> }[] }
    expect(list.data.filter((p) => p.metadata.hold === lapsing.id)).toEqual([])
    expect(list.data.filter((p) => p.metadata.hold === h.id)).toHaveLength(1)
  }, 120_000)

  it('with the payments system down, confirm is a 503 and the hold stands', async () => {
    const show = await simpleShow(c, 1, 2)
    const h = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 1 }), 201)
    payments.kill('SIGKILL')
    await payments.exited
    const r = await c.api('POST', `/holds/${h.id}/confirm`)
    expect([r.statusCode, r.json().code]).toEqual([503, 'INVENTORY_PAYMENT_UNAVAILABLE'])
    expect(expectStatus(await c.api('GET', `/holds/${h.id}`), 200).state).toBe('active')
  }, 120_000)
})
