/**
 * (TEST_SERVICES=1 only) Three real server processes per strategy on one PostgreSQL, buyers
 * spread over them: each hold made on one process and confirmed on the next, 300 buyers for 60
 * seats, 30 requests in flight; one process SIGKILLed a third of the way through. Then the rest
 * is bought on a survivor until every seat is sold. Afterwards: exactly 60 seats sold, each in
 * exactly one order; every confirm a buyer was told succeeded is there (the killed process lost
 * none); holds the killed process had made lapse and their seats sell again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, testDb, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { STRATEGIES } from '../settings.js'
import { call, type Json, loggedErrors } from './http-call.js'

const ROWS = 3
const PER_ROW = 20
const SEATS = ROWS * PER_ROW
const BUYERS = 300
const IN_FLIGHT = 30

function seatOf(i: number): string {
  const n = i % SEATS
  return `S-${String.fromCharCode(65 + Math.floor(n / PER_ROW))}-${(n % PER_ROW) + 1}`
}

describe.skipIf(!backends().includes('services'))('inventory on three processes', () => {
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

    it('sells exactly every seat once; a SIGKILLed process loses no confirmed order', async () => {
      const [a] = procs
      const venue = await call(a!.url, 'POST', '/venues', {
        name: 'Arena',
        sections: [
          {
            name: 'S',
            rows: Array.from({ length: ROWS }, (_, r) => ({
              name: String.fromCharCode(65 + r),
              seats: PER_ROW,
            })),
          },
        ],
      })
      expect(venue.status).toBe(201)
      const show = (
        await call(a!.url, 'POST', '/shows', { venueId: venue.body.id, startsAt: '2027-06-01T20:00:00Z' })
      ).body.id
      const alive = [true, true, true]
      const confirmed: { hold: string; orderId: string; seats: string[] }[] = []
      const statuses = new Map<string, number>()
      const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1)

      const buyer = async (i: number) => {
        const p = i % 3
        const q = (i + 1) % 3
        const seats = i % 2 === 0 ? [seatOf(i)] : [seatOf(i), seatOf(i + 1)]
        try {
          if (!alive[p]) return count('dead-node')
          const h = await call(procs[p]!.url, 'POST', `/shows/${show}/holds`, { seats, ttlSeconds: 5 })
          count(`hold ${h.status}`)
          if (h.status !== 201) return
          if (!alive[q]) return count('dead-node')
          const c = await call(procs[q]!.url, 'POST', `/holds/${h.body.id}/confirm`)
          count(`confirm ${c.status}`)
          if (c.status === 200)
            confirmed.push({ hold: h.body.id, orderId: c.body.orderId, seats: h.body.seats })
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
      expect(statuses.get('hold 201')).toBeGreaterThan(0)
      // The kill cut requests off: some never reached a process, or lost their answer.
      expect((statuses.get('dead-node') ?? 0) + (statuses.get('connection') ?? 0)).toBeGreaterThan(0)
      expect(
        [...statuses.keys()].filter((k) => /^(hold|confirm) 5/.test(k)),
        loggedErrors(procs),
      ).toEqual([])

      // The rest, one seat at a time on a survivor; seats of holds the killed process made lapse (5 s).
      await waitFor(
        'every seat sold',
        async () => {
          const h = await call(a!.url, 'POST', `/shows/${show}/holds`, { best: 1, ttlSeconds: 30 })
          if (h.status === 201) {
            const c = await call(a!.url, 'POST', `/holds/${h.body.id}/confirm`)
            if (c.status === 200)
              confirmed.push({ hold: h.body.id, orderId: c.body.orderId, seats: h.body.seats })
          }
          const map = await call(a!.url, 'GET', `/shows/${show}/seats`)
          return map.body.seats.every((s: Json) => s.state === 'sold')
        },
        90_000,
      )

      // Every confirm a buyer was told succeeded is there, with its order id.
      for (const c of confirmed) {
        const h = await call(a!.url, 'GET', `/holds/${c.hold}`)
        expect(h.body).toMatchObject({ state: 'confirmed', orderId: c.orderId })
      }
      const told = confirmed.flatMap((c) => c.seats)
      expect(new Set(told).size).toBe(told.length)
      // And the database: exactly SEATS seats sold, each in exactly one order.
      const db = await testDb('services', `t${id}_inventory`)
      const { rows } = await db.query<{ sold: number; ordered: number; distinct: number }>(
        `SELECT (SELECT count(*)::int FROM show_seats WHERE show_id = $1 AND state = 'sold') AS sold,
                (SELECT coalesce(sum(cardinality(seat_nos)), 0)::int FROM orders WHERE show_id = $1) AS ordered,
                (SELECT count(DISTINCT s)::int FROM orders, unnest(seat_nos) s WHERE show_id = $1) AS distinct`,
        [show],
      )
      expect(rows[0]).toEqual({ sold: SEATS, ordered: SEATS, distinct: SEATS })
    }, 300_000)
  })
})
