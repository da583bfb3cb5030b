/**
 * Bad input on the stock routes: negative, zero and fractional quantities, unknown SKUs and
 * locations, malformed products and kits, double confirm, confirm after expiry, over-returns:
 * each a 4xx problem+json naming what is wrong, and nothing changed. Then a fast-check property:
 * random bodies and ids on every stock route never get a 5xx.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { APP_TIMEOUT_MS, expectStatus, inventoryApp, type Json, type TestClient } from '../testing.js'
import { audit, levels, location, product, receive, unique } from './testing.js'

describe.each(backends())('stock bad input (%s)', (backend) => {
  let c: TestClient
  let at: string
  let sku: string
  beforeAll(async () => {
    c = await inventoryApp(backend)
    at = await location(c)
    ;[sku] = (await product(c, [{ sku: unique('ok') }])) as [string]
    await receive(c, sku, at, 5)
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  const problem = (res: Json, status: number) => {
    const body = expectStatus(res, status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    return body
  }

  it('negative, zero, fractional and missing quantities: 400 naming the field, nothing reserved', async () => {
    for (const quantity of [-1, 0, 1.5, -0.5, null, 10_000_000]) {
      const body = problem(await c.api('POST', '/reservations', { items: [{ sku, quantity }] }), 400)
      expect(JSON.stringify(body)).toMatch(/quantity/)
    }
    problem(await c.api('POST', '/reservations', { items: [{ sku }] }), 400)
    problem(await c.api('POST', '/reservations', { items: [] }), 400)
    problem(await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }], extra: 1 }), 400)
    problem(await c.api('POST', '/stock/receipts', { sku, location: at, quantity: -3 }), 400)
    problem(await c.api('POST', '/stock/receipts', { sku, location: at, quantity: 0 }), 400)
    expect(await levels(c, sku, at)).toEqual({ [at]: [5, 0] })
  })

  it('unknown SKUs and locations: 422 naming only them', async () => {
    const ghost = unique('ghost')
    const r = problem(
      await c.api('POST', '/reservations', {
        items: [
          { sku, quantity: 1 },
          { sku: ghost, quantity: 1 },
        ],
      }),
      422,
    )
    expect(r).toMatchObject({ code: 'INVENTORY_UNKNOWN_SKUS', skus: [ghost] })
    const l = problem(
      await c.api('POST', '/reservations', { items: [{ sku, quantity: 1, location: 'nowhere' }] }),
      422,
    )
    expect(l).toMatchObject({ code: 'INVENTORY_UNKNOWN_LOCATIONS', locations: ['nowhere'] })
    expect(problem(await c.api('GET', `/stock/${ghost}`), 422).code).toBe('INVENTORY_UNKNOWN_SKUS')
    expect(
      problem(await c.api('POST', '/stock/receipts', { sku: ghost, location: at, quantity: 1 }), 422).code,
    ).toBe('INVENTORY_UNKNOWN_SKUS')
    expect(
      problem(await c.api('POST', '/stock/receipts', { sku, location: 'nowhere', quantity: 1 }), 422).code,
    ).toBe('INVENTORY_UNKNOWN_LOCATIONS')
    expect(await levels(c, sku, at)).toEqual({ [at]: [5, 0] })
  })

  it('malformed products, kits and locations are refused', async () => {
    problem(await c.api('POST', '/products', { name: 'x', variants: [{ sku: 'has space' }] }), 400)
    problem(await c.api('POST', '/products', { name: 'x', variants: [] }), 400)
    expect(problem(await c.api('POST', '/products', { name: 'x', variants: [{ sku }] }), 409).code).toBe(
      'INVENTORY_SKU_EXISTS',
    )
    const twice = unique('twice')
    expect(
      problem(
        await c.api('POST', '/products', { name: 'x', variants: [{ sku: twice }, { sku: twice }] }),
        400,
      ).code,
    ).toBe('INVENTORY_INVALID_STOCK')
    expect(
      problem(
        await c.api('POST', '/products', {
          name: 'x',
          variants: [{ sku: unique('k'), components: [{ sku: unique('none'), quantity: 1 }] }],
        }),
        422,
      ).code,
    ).toBe('INVENTORY_UNKNOWN_SKUS')
    problem(
      await c.api('POST', '/products', {
        name: 'x',
        variants: [{ sku: unique('k'), components: [{ sku, quantity: -1 }] }],
      }),
      400,
    )
    expect(
      problem(
        await c.api('POST', '/products', { name: 'x', variants: [{ sku: unique('p'), policy: 'preorder' }] }),
        400,
      ).code,
    ).toBe('INVENTORY_INVALID_STOCK')
    expect(problem(await c.api('POST', '/locations', { id: at, name: 'again' }), 409).code).toBe(
      'INVENTORY_LOCATION_EXISTS',
    )
    // An adjustment below zero is refused, and nothing moves.
    expect(
      problem(await c.api('POST', '/stock/adjustments', { sku, location: at, quantity: -6 }), 409).code,
    ).toBe('INVENTORY_NEGATIVE_STOCK')
    expect(await levels(c, sku, at)).toEqual({ [at]: [5, 0] })
  })

  it('double confirm, confirm after expiry, unknown ids, over-return: 4xx with their codes', async () => {
    const r = expectStatus(await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }] }), 201)
    const order = expectStatus(await c.api('POST', `/reservations/${r.id}/confirm`), 200)
    expect(problem(await c.api('POST', `/reservations/${r.id}/confirm`), 409)).toMatchObject({
      code: 'INVENTORY_RESERVATION_CONFIRMED',
      orderId: order.orderId,
    })
    const short = expectStatus(
      await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }], ttlSeconds: 1 }),
      201,
    )
    await waitFor(
      'the reservation to lapse',
      async () => expectStatus(await c.api('GET', `/reservations/${short.id}`), 200).state === 'expired',
      20_000,
    )
    expect(problem(await c.api('POST', `/reservations/${short.id}/confirm`), 409).code).toBe(
      'INVENTORY_RESERVATION_EXPIRED',
    )
    expect(problem(await c.api('POST', '/reservations/r_nope/confirm'), 404).code).toBe(
      'INVENTORY_RESERVATION_NOT_FOUND',
    )
    expect(problem(await c.api('DELETE', '/reservations/r_nope'), 404).code).toBe(
      'INVENTORY_RESERVATION_NOT_FOUND',
    )
    expect(problem(await c.api('POST', '/orders/so_nope/cancel'), 404).code).toBe('INVENTORY_ORDER_NOT_FOUND')
    expect(
      problem(
        await c.api('POST', `/orders/${order.orderId}/returns`, { items: [{ sku, quantity: 2 }] }),
        409,
      ),
    ).toMatchObject({
      code: 'INVENTORY_OVER_RETURN',
      returnable: 1,
    })
    expect(
      problem(
        await c.api('POST', '/reservations', { items: [{ sku, quantity: 1 }], ttlSeconds: 90_000 }),
        400,
      ),
    )
  })

  it('property: any body and ids on every stock route get a 2xx or a 4xx problem, never a 5xx', async () => {
    const value = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.double(),
      fc.string({ maxLength: 8 }),
      fc.constant(null),
      fc.boolean(),
    )
    const id = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(sku, at, 'r_x', 'so_x'))
    const item = fc.record(
      {
        sku: fc.oneof(id, value),
        quantity: fc.oneof(fc.integer({ min: -3, max: 8 }), value),
        location: fc.oneof(id, value),
      },
      { requiredKeys: [] },
    )
    const items = fc.oneof(fc.array(item, { maxLength: 4 }), value)
    const call = fc.oneof(
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/reservations'),
        fc.record({ items, ttlSeconds: value }, { requiredKeys: [] }),
      ),
      fc.tuple(
        fc.constant('POST'),
        id.map((i) => `/reservations/${encodeURIComponent(i)}/confirm`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('DELETE'),
        id.map((i) => `/reservations/${encodeURIComponent(i)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('GET'),
        id.map((i) => `/stock/${encodeURIComponent(i)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('POST'),
        id.map((i) => `/orders/${encodeURIComponent(i)}/returns`),
        fc.record({ items }, { requiredKeys: [] }),
      ),
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/stock/adjustments'),
        fc.record(
          { sku: fc.oneof(id, value), location: fc.oneof(id, value), quantity: value },
          { requiredKeys: [] },
        ),
      ),
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/products'),
        fc.record(
          {
            name: fc.oneof(fc.string({ maxLength: 5 }), value),
            variants: fc.oneof(
              fc.array(
                fc.record(
                  {
                    sku: fc.oneof(id, value),
                    policy: fc.oneof(fc.constantFrom('deny', 'backorder', 'preorder'), value),
                    components: fc.oneof(
                      fc.array(fc.record({ sku: fc.oneof(id, value), quantity: value }), { maxLength: 2 }),
                      value,
                    ),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 3 },
              ),
              value,
            ),
          },
          { requiredKeys: [] },
        ),
      ),
    )
    await fc.assert(
      fc.asyncProperty(call, async ([method, url, body]) => {
        const res = await c.api(method, url, body)
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBeLessThan(500)
        if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      }),
      { numRuns: 300 },
    )
    expect(await audit(c)).toEqual([])
  })
})
