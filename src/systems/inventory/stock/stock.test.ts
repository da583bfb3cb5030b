/**
 * Stock on each strategy: receipts and levels per location; reservations all or nothing (kits
 * drawing on the components other products share), confirmed into an order exactly once,
 * cancelled, expired by their job or at once when their time is up and the job is late;
 * backorder and preorder policies; order cancellation and returns putting units back; low-stock
 * events on the Bus; and after all of it, the movement log rebuilds every level.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BusMessage } from '../../../platform/bus/port.js'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { APP_TIMEOUT_MS, expectStatus, inventoryApp, type Json, type TestClient } from '../testing.js'
import { audit, levels, location, product, receive, unique } from './testing.js'

const cases = backends().flatMap((b) => (['pessimistic', 'optimistic'] as const).map((s) => [b, s] as const))

describe.each(cases)('stock (%s, %s)', (backend, strategy) => {
  let c: TestClient
  const low: BusMessage<Json>[] = []
  beforeAll(async () => {
    c = await inventoryApp(backend, { INVENTORY_STRATEGY: strategy })
    await c.app.bus.subscribe<Json>('inventory.stock.low', async (m) => void low.push(m))
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('receives stock per location and reserves from the one with the most, or the one named', async () => {
    const [a, b] = [await location(c), await location(c)]
    const [sku] = await product(c, [{ sku: unique('tee'), price: 1500 }])
    await receive(c, sku!, a, 3)
    await receive(c, sku!, b, 5)
    const r = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 4 }] }), 201)
    expect(r.lines).toEqual([{ sku, location: b, quantity: 4, forSku: sku, backordered: 0 }])
    const named = expectStatus(
      await c.api('POST', '/reservations', { items: [{ sku, quantity: 2, location: a }] }),
      201,
    )
    expect(named.lines[0].location).toBe(a)
    expect(await levels(c, sku!, a, b)).toEqual({ [a]: [3, 2], [b]: [5, 4] })
    // 1 + 1 left: 3 more at once is refused, naming the SKU, and nothing is taken.
    const short = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 3 }] }), 409)
    expect(short).toMatchObject({ code: 'INVENTORY_INSUFFICIENT_STOCK', skus: [sku] })
    expect(await levels(c, sku!, a, b)).toEqual({ [a]: [3, 2], [b]: [5, 4] })
  })

  it('confirms a reservation into an order exactly once; cancel releases; confirm after cancel refused', async () => {
    const at = await location(c)
    const [sku] = await product(c, [{ sku: unique('mug'), price: 800 }])
    await receive(c, sku!, at, 10)
    const r = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 3 }] }), 201)
    const order = expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 200)
    expect(order.amount).toBe(2400)
    const again = expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 409)
    expect(again).toMatchObject({ code: 'INVENTORY_RESERVATION_CONFIRMED', orderId: order.orderId })
    expect(await levels(c, sku!, at)).toEqual({ [at]: [7, 0] })
    expect(expectStatus(await c.api('DELETE', `/reservations/${r.id}`), 409).code).toBe(
      'INVENTORY_RESERVATION_CONFIRMED',
    )

    const other = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 5 }] }), 201)
    expect((await c.api('DELETE', `/reservations/${other.id}`)).statusCode).toBe(204)
    expect((await c.api('DELETE', `/reservations/${other.id}`)).statusCode).toBe(204)
    expect(expectStatus(await c.api('POST', `/reservations/${other.id}/confirm`), 409).code).toBe(
      'INVENTORY_RESERVATION_CANCELLED',
    )
    expect(await levels(c, sku!, at)).toEqual({ [at]: [7, 0] })

    // Cancel the order: its units back on hand, once.
    expect((await c.api('POST', `/orders/${order.orderId}/cancel`)).statusCode).toBe(204)
    expect(expectStatus(await c.api('POST', `/orders/${order.orderId}/cancel`), 409).code).toBe(
      'INVENTORY_ORDER_CANCELLED',
    )
    expect(await levels(c, sku!, at)).toEqual({ [at]: [10, 0] })
  })

  it('a kit reserves its components, shared with other products, all or nothing', async () => {
    const at = await location(c)
    const [lens, body] = await product(c, [
      { sku: unique('lens'), price: 300 },
      { sku: unique('body'), price: 900 },
    ])
    const [kit] = await product(c, [
      {
        sku: unique('kit'),
        price: 1100,
        components: [
          { sku: lens, quantity: 2 },
          { sku: body, quantity: 1 },
        ],
      },
    ])
    await receive(c, lens!, at, 5)
    await receive(c, body!, at, 5)
    // Two kits need 4 lenses; with 2 more lenses alone that is 6 of 5: nothing is reserved.
    const short = expectStatus(
      await c.api('POST', '/reservations', {
        items: [
          { sku: kit, quantity: 2 },
          { sku: lens, quantity: 2 },
        ],
      }),
      409,
    )
    expect(short.skus).toEqual([lens])
    expect(await levels(c, body!, at)).toEqual({ [at]: [5, 0] })
    const r = expectStatus(
      await c.api('POST', '/reservations', {
        items: [
          { sku: kit, quantity: 2 },
          { sku: lens, quantity: 1 },
        ],
      }),
      201,
    )
    expect(r.lines).toEqual([
      { sku: body, location: at, quantity: 2, forSku: kit, backordered: 0 },
      { sku: lens, location: at, quantity: 4, forSku: kit, backordered: 0 },
      { sku: lens, location: at, quantity: 1, forSku: lens, backordered: 0 },
    ])
    expect(await levels(c, lens!, at)).toEqual({ [at]: [5, 5] })
    const order = expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 200)
    expect(order.amount).toBe(2 * 1100 + 300)
    // A kit comes back as its components; no more than were sold.
    expect(
      (await c.api('POST', `/orders/${order.orderId}/returns`, { items: [{ sku: lens, quantity: 3 }] }))
        .statusCode,
    ).toBe(204)
    const over = expectStatus(
      await c.api('POST', `/orders/${order.orderId}/returns`, { items: [{ sku: lens, quantity: 3 }] }),
      409,
    )
    expect(over).toMatchObject({ code: 'INVENTORY_OVER_RETURN', returnable: 2 })
    expect(await levels(c, lens!, at)).toEqual({ [at]: [3, 0] })
    // Cancelling the order now puts back only what was not returned.
    expect((await c.api('POST', `/orders/${order.orderId}/cancel`)).statusCode).toBe(204)
    expect(await levels(c, lens!, at)).toEqual({ [at]: [5, 0] })
    expect(await levels(c, body!, at)).toEqual({ [at]: [5, 0] })
  })

  it('backorder promises up to its limit beyond on hand; preorder until its release date', async () => {
    const at = await location(c)
    const [bo] = await product(c, [{ sku: unique('bo'), policy: 'backorder', oversellLimit: 3 }])
    await receive(c, bo!, at, 2)
    const r = expectStatus(await c.api('POST', '/reservations', { items: [{ sku: bo, quantity: 5 }] }), 201)
    expect(r.lines[0]).toMatchObject({ quantity: 5, backordered: 3 })
    expect(
      expectStatus(await c.api('POST', '/reservations', { items: [{ sku: bo, quantity: 1 }] }), 409).skus,
    ).toEqual([bo])
    expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 200)
    expect(await levels(c, bo!, at)).toEqual({ [at]: [-3, 0] })
    // Owed units count against the limit until they arrive.
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku: bo, quantity: 1 }] }), 409)
    await receive(c, bo!, at, 4)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku: bo, quantity: 4 }] }), 201)

    const [pre, gone] = await product(c, [
      { sku: unique('pre'), policy: 'preorder', oversellLimit: 10, releasesAt: '2099-01-01T00:00:00Z' },
      { sku: unique('released'), policy: 'preorder', oversellLimit: 10, releasesAt: '2001-01-01T00:00:00Z' },
    ])
    expect(
      expectStatus(await c.api('POST', '/reservations', { items: [{ sku: pre, quantity: 10 }] }), 201)
        .lines[0].backordered,
    ).toBe(10)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku: pre, quantity: 1 }] }), 409)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku: gone, quantity: 1 }] }), 409)
  })

  it('expires a reservation by its job: units released, confirm refused', async () => {
    const at = await location(c)
    const [sku] = await product(c, [{ sku: unique('exp') }])
    await receive(c, sku!, at, 2)
    const r = expectStatus(
      await c.api('POST', '/reservations', { items: [{ sku, quantity: 2 }], ttlSeconds: 1 }),
      201,
    )
    await waitFor('the expiry job', async () => (await levels(c, sku!, at))[at]![1] === 0, 30_000)
    expect(expectStatus(await c.api('GET', `/reservations/${r.id}`), 200).state).toBe('expired')
    expect(expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 409).code).toBe(
      'INVENTORY_RESERVATION_EXPIRED',
    )
  })

  it('sends a low-stock event when a level falls to its threshold, once per crossing', async () => {
    const at = await location(c)
    const [sku] = await product(c, [{ sku: unique('low'), lowStockThreshold: 3 }])
    await receive(c, sku!, at, 6)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 2 }] }), 201)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 2 }] }), 201)
    expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }] }), 201)
    await waitFor('the low-stock event', () => low.some((m) => m.data.sku === sku), 20_000)
    const mine = low.filter((m) => m.data.sku === sku)
    expect(mine.map((m) => m.data)).toEqual([
      { sku, location: at, available: 2, onHand: 6, reserved: 4, threshold: 3 },
    ])
  })

  it('the movement log rebuilds every level', async () => {
    expect(await audit(c)).toEqual([])
  })
})

describe.each(backends())('stock expiry at read, with no job running (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, {}, { startWorkers: false })
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('a lapsed reservation never confirms, and its units can be reserved again at once', async () => {
    const at = await location(c)
    const [sku] = await product(c, [{ sku: unique('late') }])
    await receive(c, sku!, at, 1)
    const r = expectStatus(
      await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }], ttlSeconds: 1 }),
      201,
    )
    await waitFor(
      'the reservation to lapse',
      async () => expectStatus(await c.api('GET', `/reservations/${r.id}`), 200).state === 'expired',
      20_000,
    )
    expect(expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 409).code).toBe(
      'INVENTORY_RESERVATION_EXPIRED',
    )
    const next = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }] }), 201)
    expectStatus(await c.api('POST', `/reservations/${next.id}/confirm`), 200)
    expect(await levels(c, sku!, at)).toEqual({ [at]: [0, 0] })
    expect(await audit(c)).toEqual([])
  })
})
