/**
 * (TEST_SERVICES=1 only) The stock test: three real server processes per strategy on one
 * PostgreSQL, 10,000 buyers for 1,000 units of one SKU (a tenth by default), 60 requests in flight, each reservation
 * made on one process and confirmed on the next; the third process SIGKILLed a third of the way
 * through. Then the rest is bought on a survivor until no unit is left (the killed process's
 * reservations lapse after their 5 s). Afterwards: exactly 1,000 units sold, never a unit more;
 * every reservation and order a buyer was told about is there exactly once (one reserve and at
 * most one sell movement each); no order placed after its reservation's expiry; no reservation
 * still active; the levels equal their rebuild from the movement log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, testDb, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { STRATEGIES } from '../settings.js'
import { call, loggedErrors } from './http-call.js'

// The size with INVENTORY_FULL_SCALE=1 (here: 88 s pessimistic, 340 s optimistic on a loaded
// machine); a tenth of it by default, so CI's shared machine runs it in a minute or two.
const FULL = process.env.INVENTORY_FULL_SCALE === '1'
const UNITS = FULL ? 1_000 : 100
const BUYERS = FULL ? 10_000 : 1_000
const IN_FLIGHT = 60
const SKU = 'HOT-1'
const LOC = 'WH'

describe.skipIf(!backends().includes('services'))('inventory stock on three processes', () => {
  describe.each(STRATEGIES)('%s', (strategy) => {
    const id = uniqueId()
    const env = { SYSTEMS: 'inventory', INVENTORY_STRATEGY: strategy, ...backendEnv('services', id) }
    let procs: ServerProcess[] = []
    beforeAll(async () => {
      procs = await Promise.all(
        [0, 1, 2].map(() => startServer({ entry: 'src/main.ts', env, timeoutMs: 110_000 })),
      )
    }, 120_000)
    afterAll(async () => {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGTERM')
      await Promise.all(procs.map((p) => p.exited))
    })

    it('never sells a unit more than it has; a SIGKILLed process loses no acknowledged order', async () => {
      const [a] = procs
      expect(
        (await call(a!.url, 'POST', '/products', { name: 'Hot', variants: [{ sku: SKU, price: 100 }] }))
          .status,
      ).toBe(201)
      expect((await call(a!.url, 'POST', '/locations', { id: LOC, name: 'Warehouse' })).status).toBe(201)
      expect(
        (await call(a!.url, 'POST', '/stock/receipts', { sku: SKU, location: LOC, quantity: UNITS })).status,
      ).toBe(201)

      const alive = [true, true, true]
      const reserved: { id: string; quantity: number }[] = []
      const confirmed: { reservation: string; orderId: string }[] = []
      const statuses = new Map<string, number>()
      const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1)

      const buyer = async (i: number) => {
        const p = i % 3
        const q = (i + 1) % 3
        const quantity = i % 4 === 3 ? 2 : 1
        try {
          if (!alive[p]) return count('dead-node')
          const r = await call(procs[p]!.url, 'POST', '/reservations', {
            items: [{ sku: SKU, quantity }],
            ttlSeconds: 5,
          })
          count(`reserve ${r.status}`)
          if (r.status !== 201) return
          reserved.push({ id: r.body.id, quantity })
          if (!alive[q]) return count('dead-node')
          const c = await call(procs[q]!.url, 'POST', `/reservations/${r.body.id}/confirm`)
          count(`confirm ${c.status}`)
          if (c.status === 200) confirmed.push({ reservation: r.body.id, orderId: c.body.orderId })
        } catch {
          count('connection')
        }
      }
      let next = 0
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < BUYERS) {
            const i = next++
            if (i === Math.floor(BUYERS / 3) && alive[2]) {
              alive[2] = false
              procs[2]!.kill('SIGKILL')
            }
            await buyer(i)
          }
        }),
      )
      expect(statuses.get('reserve 201')).toBeGreaterThan(0)
      expect(statuses.get('reserve 409')).toBeGreaterThan(0)
      expect((statuses.get('dead-node') ?? 0) + (statuses.get('connection') ?? 0)).toBeGreaterThan(0)
      expect(
        [...statuses.keys()].filter((k) => /^(reserve|confirm) 5/.test(k)),
        loggedErrors(procs),
      ).toEqual([])

      // The rest, one unit at a time on a survivor, until nothing is on hand or reserved.
      await waitFor(
        'every unit sold',
        async () => {
          const r = await call(a!.url, 'POST', '/reservations', {
            items: [{ sku: SKU, quantity: 1 }],
            ttlSeconds: 30,
          })
          if (r.status === 201) {
            reserved.push({ id: r.body.id, quantity: 1 })
            const c = await call(a!.url, 'POST', `/reservations/${r.body.id}/confirm`)
            if (c.status === 200) confirmed.push({ reservation: r.body.id, orderId: c.body.orderId })
          }
          const level = (await call(a!.url, 'GET', `/stock/${SKU}`)).body.locations[0]
          return level.onHand === 0 && level.reserved === 0
        },
        90_000,
      )

      const db = await testDb('services', `t${id}_inventory`)
      // Every acknowledged reservation is there once, with exactly one reserve movement.
      const { rows: res } = await db.query<{
        id: string
        state: string
        order_id: string | null
        reserves: number
        sells: number
        sold: number
      }>(
        `SELECT r.id, r.state, r.order_id,
                (SELECT count(*)::int FROM stock_movements m WHERE m.reservation_id = r.id AND m.kind = 'reserve') AS reserves,
                (SELECT count(*)::int FROM stock_movements m WHERE m.reservation_id = r.id AND m.kind = 'sell') AS sells,
                (SELECT coalesce(-sum(on_hand_delta), 0)::int FROM stock_movements m WHERE m.reservation_id = r.id AND m.kind = 'sell') AS sold
           FROM reservations r`,
      )
      const byId = new Map(res.map((r) => [r.id, r]))
      for (const r of reserved) expect(byId.get(r.id)?.reserves, r.id).toBe(1)
      // Every acknowledged order is there, placed, for its reservation, sold once.
      for (const c of confirmed) {
        expect(byId.get(c.reservation)).toMatchObject({ state: 'confirmed', order_id: c.orderId, sells: 1 })
        expect((await call(a!.url, 'GET', `/reservations/${c.reservation}`)).body.orderId).toBe(c.orderId)
      }
      expect(new Set(confirmed.map((c) => c.orderId)).size).toBe(confirmed.length)
      // Exactly UNITS sold: by the orders, by the movement log, and nothing left.
      expect(res.filter((r) => r.state === 'active')).toEqual([])
      expect(res.reduce((n, r) => n + r.sold, 0)).toBe(UNITS)
      expect(res.filter((r) => r.sells > 1)).toEqual([])
      const { rows } = await db.query<{ orders: number; late: number; on_hand: number; reserved: number }>(
        `SELECT (SELECT count(*)::int FROM stock_orders WHERE state = 'placed') AS orders,
                (SELECT count(*)::int FROM stock_orders o JOIN reservations r ON r.id = o.reservation_id
                  WHERE o.created_at > r.expires_at) AS late,
                l.on_hand, l.reserved
           FROM stock_levels l WHERE l.sku = $1`,
        [SKU],
      )
      expect(rows[0]).toEqual({
        orders: res.filter((r) => r.state === 'confirmed').length,
        late: 0,
        on_hand: 0,
        reserved: 0,
      })
      // The levels equal their rebuild from the movement log.
      expect((await call(a!.url, 'GET', '/audit/stock')).body.mismatches).toEqual([])
    }, 600_000)
  })
})
