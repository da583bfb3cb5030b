/**
 * Inventory: seats and units of stock that are never sold twice, under any contention. This file
 * only wires the parts: store -> strategy -> service -> routes for seats (seats/) and stock
 * (stock/), their expiry tasks on platform/jobs, the live seat map on platform/live and its
 * sequencer, low-stock events through the outbox. Read README.md first.
 */
import { defineSystem } from '../../platform/system.js'
import { Counter } from '../../platform/telemetry/metrics.js'
import { SeatErrors } from './seats/errors.js'
import { waitingRoomRoutes, waitlistRoutes } from './seats/line-routes.js'
import { seatMapLive } from './seats/live.js'
import { SimulatedPayment, StripePayment } from './seats/payment.js'
import type { ReservationStrategy } from './seats/ports.js'
import { adminRoutes, buyerRoutes } from './seats/routes.js'
import { SeatSequencer } from './seats/sequencer.js'
import { EXPIRE_HOLD_TASK, HOLDS_QUEUE, SeatService } from './seats/service.js'
import { SeatStore } from './seats/store.pg.js'
import { OptimisticStrategy } from './seats/strategy.optimistic.js'
import { PessimisticStrategy } from './seats/strategy.pessimistic.js'
import { WaitingRoom } from './seats/waiting-room.js'
import { Waitlist } from './seats/waitlist.js'
import { settings } from './settings.js'
import { StockErrors } from './stock/errors.js'
import { stockAdminRoutes, stockBuyerRoutes } from './stock/routes.js'
import { EXPIRE_RESERVATION_TASK, RESERVATIONS_QUEUE, StockService } from './stock/service.js'
import { StockStore } from './stock/store.pg.js'
import { OptimisticStockStrategy } from './stock/strategy.optimistic.js'
import { PessimisticStockStrategy } from './stock/strategy.pessimistic.js'

export default defineSystem({
  name: 'inventory',
  description:
    'Seats and stock never sold twice: venues, shows, holds, best-available, live seat map; SKUs, locations, reservations, orders, movement log',
  migrations: new URL('./sql/', import.meta.url),
  settings,
  jobs: {
    // One keyed job per hold, due at its expiry (service.ts); confirm and release remove it.
    // One keyed job per stock reservation, the same way.
    queues: {
      [HOLDS_QUEUE]: { concurrency: 4, maxAttempts: 25, retentionMs: 3_600_000 },
      [RESERVATIONS_QUEUE]: { concurrency: 4, maxAttempts: 25, retentionMs: 3_600_000 },
    },
  },
  // Low-stock events (inventory.stock.low) leave with the change that caused them.
  outbox: true,

  async create(ctx) {
    const s = ctx.settings
    const registry = ctx.metrics.registry
    const holds = new Counter({
      name: 'inventory_holds_total',
      help: 'Hold requests by outcome (held, taken, none-together, contended) and strategy',
      labelNames: ['outcome', 'strategy'] as const,
      registers: [registry],
    })
    const attempts = new Counter({
      name: 'inventory_hold_attempts_total',
      help: 'Claim attempts of successful holds (more than holds: optimistic retries)',
      labelNames: ['strategy'] as const,
      registers: [registry],
    })
    const ended = new Counter({
      name: 'inventory_holds_ended_total',
      help: 'Holds ended, by final state (confirmed, released, expired)',
      labelNames: ['state'] as const,
      registers: [registry],
    })

    const store = new SeatStore(ctx.db)
    const strategy: ReservationStrategy =
      s.INVENTORY_STRATEGY === 'optimistic'
        ? new OptimisticStrategy(ctx.db, s.INVENTORY_OPTIMISTIC_RETRIES, (n) => SeatErrors.contended(n))
        : new PessimisticStrategy(ctx.db)
    const live = seatMapLive(ctx.live, store, ctx.db)
    const sequencer = new SeatSequencer(ctx.db, store, live.publish, 500, (err) =>
      ctx.log.warn({ err }, 'seat sequencer pass failed; its changes wait for the next one'),
    )
    const seats = new SeatService({
      store,
      strategy,
      jobs: ctx.jobs,
      changed: () => sequencer.nudge(),
      holdTtlSeconds: s.INVENTORY_HOLD_TTL_SECONDS,
      maxSeatsPerHold: s.INVENTORY_MAX_SEATS_PER_HOLD,
      maxVenueSeats: s.INVENTORY_MAX_VENUE_SEATS,
      bestRetries: s.INVENTORY_BEST_RETRIES,
      // Through the payments system when one is configured, as any outside client would call it.
      payment:
        s.INVENTORY_PAYMENTS_URL && s.INVENTORY_PAYMENTS_KEY
          ? new StripePayment(s.INVENTORY_PAYMENTS_URL, s.INVENTORY_PAYMENTS_KEY, s.INVENTORY_CURRENCY)
          : new SimulatedPayment(),
      onHold: (outcome, n) => {
        holds.inc({ outcome, strategy: strategy.name })
        if (outcome === 'held') attempts.inc({ strategy: strategy.name }, n)
      },
      onEnded: (state) => ended.inc({ state }),
    })

    const waitlist = new Waitlist(
      ctx.db,
      seats,
      Math.min(s.INVENTORY_WAITLIST_OFFER_SECONDS, s.INVENTORY_HOLD_TTL_SECONDS),
      s.INVENTORY_MAX_SEATS_PER_HOLD,
      (err) =>
        ctx.log.warn({ err }, 'offering freed seats to the waitlist failed; the next release offers again'),
    )
    seats.observe(waitlist)
    const room = new WaitingRoom(
      ctx.db,
      s.INVENTORY_WAITING_ROOM_CAPACITY,
      s.INVENTORY_WAITING_ROOM_SESSION_SECONDS,
    )

    const stockStrategy =
      s.INVENTORY_STRATEGY === 'optimistic'
        ? new OptimisticStockStrategy(ctx.db, s.INVENTORY_OPTIMISTIC_RETRIES, (n) => StockErrors.contended(n))
        : new PessimisticStockStrategy(ctx.db)
    const reservations = new Counter({
      name: 'inventory_reservations_total',
      help: 'Stock reservation requests by outcome (reserved, short) and strategy',
      labelNames: ['outcome', 'strategy'] as const,
      registers: [registry],
    })
    const stock = new StockService({
      store: new StockStore(ctx.db),
      strategy: stockStrategy,
      jobs: ctx.jobs,
      outbox: ctx.outbox,
      reservationTtlSeconds: s.INVENTORY_RESERVATION_TTL_SECONDS,
      onReserve: (outcome) => reservations.inc({ outcome, strategy: stockStrategy.name }),
    })

    return {
      async routes(app) {
        await app.register(async (admin) =>
          adminRoutes(admin, seats, {
            token: s.INVENTORY_API_TOKEN,
            code: 'INVENTORY_UNAUTHORIZED',
            realm: 'inventory',
            message: 'creating venues and shows needs Authorization: Bearer <INVENTORY_API_TOKEN>',
          }),
        )
        await app.register(async (admin) =>
          stockAdminRoutes(admin, stock, {
            token: s.INVENTORY_API_TOKEN,
            code: 'INVENTORY_UNAUTHORIZED',
            realm: 'inventory',
            message:
              'the catalogue, locations and stock changes need Authorization: Bearer <INVENTORY_API_TOKEN>',
          }),
        )
        buyerRoutes(
          app,
          seats,
          s.INVENTORY_MAX_SEATS_PER_HOLD,
          room.enabled ? (show, t) => room.check(show, t) : undefined,
        )
        waitlistRoutes(app, waitlist, s.INVENTORY_MAX_SEATS_PER_HOLD)
        if (room.enabled) waitingRoomRoutes(app, room)
        stockBuyerRoutes(app, stock, s.INVENTORY_MAX_RESERVATION_ITEMS)
        await app.register(async (scope) => live.endpoint.routes(scope as never), { prefix: '/live' })
      },
      workers: [live.endpoint.worker, sequencer],
      tasks: {
        [EXPIRE_HOLD_TASK]: {
          description: 'End a hold whose time is up and free its seats',
          async handler(payload) {
            const hold = (payload as { hold?: unknown } | null)?.hold
            if (typeof hold !== 'string') return { skipped: 'no hold in payload' }
            return seats.expire(hold)
          },
        },
        [EXPIRE_RESERVATION_TASK]: {
          description: 'End a stock reservation whose time is up and release its units',
          async handler(payload) {
            const id = (payload as { reservation?: unknown } | null)?.reservation
            if (typeof id !== 'string') return { skipped: 'no reservation in payload' }
            return stock.expire(id)
          },
        },
      },
    }
  },
})
