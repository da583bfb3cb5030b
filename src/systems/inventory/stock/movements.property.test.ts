/**
 * The movement log accounts for every unit: fast-check runs random sequences of receipts,
 * adjustments, reservations (a SKU, a kit sharing it, several items at once), confirms, cancels,
 * expiries, order cancellations and returns over a small catalogue, and after each sequence
 * rebuilds every level from `stock_movements` and compares it with `stock_levels` (GET
 * /audit/stock); it also checks that `reserved` is exactly what active reservations hold and that
 * a deny SKU never goes below zero on hand.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { APP_TIMEOUT_MS, inventoryApp, type Json, type TestClient } from '../testing.js'
import { audit, location, product, receive, unique } from './testing.js'

type Op =
  | { k: 'receive' | 'adjust'; sku: number; loc: number; q: number }
  | { k: 'reserve'; items: { sku: number; q: number }[] }
  | { k: 'confirm' | 'cancel' | 'expire' | 'cancelOrder'; which: number }
  | { k: 'return'; which: number; sku: number; q: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constantFrom('receive' as const, 'adjust' as const),
    sku: fc.nat(2),
    loc: fc.nat(1),
    q: fc.integer({ min: -3, max: 6 }),
  }),
  fc.record({
    k: fc.constant('reserve' as const),
    items: fc.array(fc.record({ sku: fc.nat(3), q: fc.integer({ min: 1, max: 4 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    k: fc.constantFrom('confirm' as const, 'cancel' as const, 'expire' as const, 'cancelOrder' as const),
    which: fc.nat(20),
  }),
  fc.record({
    k: fc.constant('return' as const),
    which: fc.nat(20),
    sku: fc.nat(2),
    q: fc.integer({ min: 1, max: 3 }),
  }),
)

describe.each(backends())('stock movement log (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, {}, { startWorkers: false })
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('property: after any sequence of operations the log rebuilds every level', async () => {
    const db = c.app.systems.find((s) => s.definition.name === 'inventory')!.context.db
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        const locs = [await location(c), await location(c)]
        // A deny SKU, a backorder SKU, a preorder SKU, and a kit of the first two.
        const skus = await product(c, [
          { sku: unique('d') },
          { sku: unique('b'), policy: 'backorder', oversellLimit: 4 },
          { sku: unique('p'), policy: 'preorder', oversellLimit: 3, releasesAt: '2099-01-01T00:00:00Z' },
        ])
        const [kit] = await product(c, [
          {
            sku: unique('kit'),
            components: [
              { sku: skus[0], quantity: 1 },
              { sku: skus[1], quantity: 2 },
            ],
          },
        ])
        const all = [...skus, kit!]
        await receive(c, skus[0]!, locs[0]!, 3)
        const reservations: string[] = []
        const orders: string[] = []
        for (const o of ops) {
          let res: Json
          if (o.k === 'receive' || o.k === 'adjust') {
            const path = o.k === 'receive' ? '/stock/receipts' : '/stock/adjustments'
            res = await c.api('POST', path, { sku: skus[o.sku], location: locs[o.loc], quantity: o.q })
          } else if (o.k === 'reserve') {
            res = await c.api('POST', '/reservations', {
              items: o.items.map((i) => ({ sku: all[i.sku], quantity: i.q })),
            })
            if (res.statusCode === 201) reservations.push(res.json().id)
          } else if (o.k === 'return' || o.k === 'cancelOrder') {
            const id = orders[o.which % Math.max(1, orders.length)] ?? 'so_none'
            res =
              o.k === 'return'
                ? await c.api('POST', `/orders/${id}/returns`, {
                    items: [{ sku: skus[o.sku], quantity: o.q }],
                  })
                : await c.api('POST', `/orders/${id}/cancel`)
          } else {
            const id =
              reservations[(o as { which: number }).which % Math.max(1, reservations.length)] ?? 'r_none'
            if (o.k === 'confirm') {
              res = await c.api('POST', `/reservations/${id}/confirm`)
              if (res.statusCode === 200) orders.push(res.json().orderId)
            } else if (o.k === 'cancel') res = await c.api('DELETE', `/reservations/${id}`)
            else {
              // The expiry job's work, run now (its hold may not be due: then it is enqueued again).
              await db.query(
                "UPDATE reservations SET expires_at = now() WHERE id = $1 AND state = 'active'",
                [id],
              )
              res = await c.api('GET', `/reservations/${id}`)
              const app = c.app.systems.find((s) => s.definition.name === 'inventory')!
              const task = app.instance.tasks!['inventory.expire-reservation']!
              await task.handler({ reservation: id }, {} as never)
            }
          }
          expect(res!.statusCode, JSON.stringify(o) + res!.body).toBeLessThan(500)
        }
        expect(await audit(c)).toEqual([])
        const { rows } = await db.query<{ bad: number }>(
          `SELECT count(*)::int AS bad FROM stock_levels l JOIN skus s USING (sku)
            WHERE l.reserved <> coalesce((SELECT sum(rl.quantity) FROM reservation_lines rl JOIN reservations r ON r.id = rl.reservation_id
                                           WHERE r.state = 'active' AND rl.sku = l.sku AND rl.location_id = l.location_id), 0)
               OR (s.policy = 'deny' AND l.on_hand < 0)`,
        )
        expect(rows[0]!.bad).toBe(0)
      }),
      { numRuns: 25 },
    )
  })
})
