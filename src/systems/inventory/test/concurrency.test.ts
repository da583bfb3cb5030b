/**
 * Many buyers at once for few seats, through the service on each strategy: 200 buyers for 20
 * seats (100 want one seat, five per seat; 100 want two), all started together, then every
 * acknowledged hold confirmed at once. Each real strategy promises each seat to exactly one
 * buyer and sells exactly the 20 seats once; the naive read-then-write one, in the same test,
 * promises seats to several buyers (oversells).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../platform/errors.js'
import { backends } from '../../../platform/testing/backends.js'
import { SimulatedPayment } from '../seats/payment.js'
import type { ReservationStrategy } from '../seats/ports.js'
import { SeatService } from '../seats/service.js'
import { SeatStore } from '../seats/store.pg.js'
import { OptimisticStrategy } from '../seats/strategy.optimistic.js'
import { PessimisticStrategy } from '../seats/strategy.pessimistic.js'
import { APP_TIMEOUT_MS, inventoryApp, simpleShow, type TestClient } from '../testing.js'
import { NaiveStrategy } from './naive.strategy.js'

const SEATS = 20
const BUYERS = 200

/** Buyer i's seats: one seat for the first half, two distinct seats for the second. */
function wants(i: number): string[] {
  const a = i % SEATS
  if (i < BUYERS / 2) return [`S-A-${a + 1}`]
  const b = (a + 1 + ((i * 7) % (SEATS - 1))) % SEATS
  return [`S-A-${a + 1}`, `S-A-${b + 1}`]
}

type Make = (c: TestClient) => ReservationStrategy

const strategies: [string, Make][] = [
  ['pessimistic', (c) => new PessimisticStrategy(ctx(c).db)],
  ['optimistic', (c) => new OptimisticStrategy(ctx(c).db, 1000, (n) => new Error(`contended after ${n}`))],
]

function ctx(c: TestClient) {
  return c.app.systems.find((s) => s.definition.name === 'inventory')!.context
}

function service(c: TestClient, strategy: ReservationStrategy): SeatService {
  const store = new SeatStore(ctx(c).db)
  return new SeatService({
    store,
    strategy,
    jobs: ctx(c).jobs,
    changed: () => {},
    holdTtlSeconds: 600,
    maxSeatsPerHold: 10,
    maxVenueSeats: 1000,
    bestRetries: 5,
    payment: new SimulatedPayment(),
  })
}

/** Every buyer at once; the holds acknowledged (201) and the refusals by code. */
async function rush(svc: SeatService, show: string) {
  const out = await Promise.all(
    Array.from({ length: BUYERS }, async (_, i) => {
      try {
        return { hold: await svc.hold(show, { seats: wants(i) }) }
      } catch (err) {
        if (err instanceof AppError) return { refused: err.code }
        throw err
      }
    }),
  )
  const holds = out.flatMap((o) => (o.hold ? [o.hold] : []))
  const refused = out.flatMap((o) => (o.refused ? [o.refused] : []))
  const promised = new Map<string, number>()
  for (const h of holds) for (const s of h.seats) promised.set(s, (promised.get(s) ?? 0) + 1)
  return { holds, refused, promised }
}

describe.each(backends())('many buyers, few seats (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend)
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it.each(strategies)(`%s: each seat held once, exactly ${SEATS} sold once`, async (_name, make) => {
    const show = await simpleShow(c, 1, SEATS)
    const svc = service(c, make(c))
    const { holds, refused, promised } = await rush(svc, show)
    expect(new Set(refused)).toEqual(new Set(['INVENTORY_SEATS_TAKEN']))
    // Every seat was wanted by five one-seat buyers, so every seat is held, each by one hold.
    expect(promised.size).toBe(SEATS)
    expect([...promised.values()].every((n) => n === 1)).toBe(true)
    expect(holds.length + refused.length).toBe(BUYERS)

    const confirmed = await Promise.all(holds.map((h) => svc.confirm(h.id)))
    expect(new Set(confirmed.map((o) => o.orderId)).size).toBe(holds.length)
    const { rows } = await ctx(c).db.query<{ sold: number; ordered: number; distinct: number }>(
      `SELECT (SELECT count(*)::int FROM show_seats WHERE show_id = $1 AND state = 'sold') AS sold,
              (SELECT coalesce(sum(cardinality(seat_nos)), 0)::int FROM orders WHERE show_id = $1) AS ordered,
              (SELECT count(DISTINCT s)::int FROM orders, unnest(seat_nos) s WHERE show_id = $1) AS distinct`,
      [show],
    )
    expect(rows[0]).toEqual({ sold: SEATS, ordered: SEATS, distinct: SEATS })
  })

  it('naive read-then-write: the same seats promised to several buyers', async () => {
    const show = await simpleShow(c, 1, SEATS)
    const svc = service(c, new NaiveStrategy(ctx(c).db))
    const { holds, promised } = await rush(svc, show)
    const seatsPromised = holds.reduce((n, h) => n + h.seats.length, 0)
    // Oversold: more seats acknowledged to buyers than the show has.
    expect(seatsPromised).toBeGreaterThan(SEATS)
    expect([...promised.values()].some((n) => n > 1)).toBe(true)
  })
})
