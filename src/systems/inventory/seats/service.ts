/**
 * The seat side's domain: venues and shows, the seat map, holds (all-or-nothing, with a TTL,
 * expiring by a keyed job), confirmation into an order, release. The reservation itself is the
 * strategy's (ports.ts); this file decides which seats and what else commits with them.
 */
import { randomBytes } from 'node:crypto'
import type { Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import { bestTogether, type SeatRow } from './best-available.js'
import { SeatErrors } from './errors.js'
import type { PaymentPort } from './payment.js'
import type { Hold, HoldState, ReservationStrategy, Seat } from './ports.js'
import type { SeatStore } from './store.pg.js'
import { type VenueInput, venueSeats } from './venue-input.js'

export const HOLDS_QUEUE = 'inventory.holds'
export const EXPIRE_HOLD_TASK = 'inventory.expire-hold'

/** What else happens when a hold is confirmed (in its transaction) or ends (after): the waitlist's part. */
export interface HoldHooks {
  confirming(tx: Queryable, holdId: string): Promise<void>
  afterEnd(holdId: string, freed: number, byJob: boolean): Promise<void> | undefined
}

export interface SeatServiceOptions {
  store: SeatStore
  strategy: ReservationStrategy
  jobs: SystemJobs
  /** Called after a commit that appended seat changes: the sequencer numbers and publishes them. */
  changed: () => void
  holdTtlSeconds: number
  maxSeatsPerHold: number
  maxVenueSeats: number
  bestRetries: number
  /** How confirm pays (payment.ts): the payments system, or simulated. */
  payment: PaymentPort
  /** Outcomes for metrics: `held`, `taken`, `none-together`, `contended`; and claim attempts per hold. */
  onHold?: (outcome: string, attempts: number) => void
  onEnded?: (state: HoldState, seats: number) => void
}

/** What a hold request asks for: named seats, or the best N together (of a category, accessible or not). */
export interface HoldRequest {
  seats?: string[]
  best?: number
  category?: string
  accessible?: boolean
  ttlSeconds?: number
}

export interface HoldView {
  id: string
  showId: string
  seats: string[]
  state: HoldState
  expiresAt: string
  orderId: string | null
}

/** 96 random bits, URL-safe: ids a buyer cannot guess another buyer's hold from. */
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`

/** The key of a hold's expiry job: one job per hold, removed when the hold ends before it runs. */
export const expiryKey = (holdId: string) => `hold:${holdId}`

export class SeatService {
  private hooks: HoldHooks | undefined
  constructor(private readonly o: SeatServiceOptions) {}

  /** Wire the hooks (the waitlist, built on this service). */
  observe(hooks: HoldHooks): void {
    this.hooks = hooks
  }

  get strategyName(): string {
    return this.o.strategy.name
  }

  /** Create a venue from its seat map; its id. */
  async createVenue(venue: VenueInput): Promise<string> {
    return this.o.store.createVenue(venue.name, venueSeats(venue, this.o.maxVenueSeats))
  }

  /** Create a show of a venue, every seat free; its id. */
  async createShow(venueId: string, startsAt: Date): Promise<string> {
    const id = await this.o.store.createShow(venueId, startsAt)
    if (id === undefined) throw SeatErrors.venueNotFound(venueId)
    return id
  }

  /** Every seat of a show with its state, and the offset of the seat map's stream at that read. */
  async seatMap(showId: string): Promise<{ offset: number; seats: Seat[] }> {
    const map = await this.o.store.seatMap(showId)
    if (!map) throw SeatErrors.showNotFound(showId)
    return { offset: map.head, seats: map.seats }
  }

  /** Hold seats of a show, all or nothing: 201's body, or a 4xx AppError. */
  async hold(showId: string, req: HoldRequest): Promise<{ id: string; seats: string[]; expiresAt: string }> {
    const ttl = req.ttlSeconds ?? this.o.holdTtlSeconds
    if (ttl > this.o.holdTtlSeconds)
      throw SeatErrors.invalidHold('ttlSeconds', `must be at most ${this.o.holdTtlSeconds}`)
    if ((req.seats === undefined) === (req.best === undefined))
      throw SeatErrors.invalidHold(
        'seats',
        'give either seats (a list of seat ids) or best (a number), not both',
      )
    const n = req.seats?.length ?? req.best!
    if (n < 1 || n > this.o.maxSeatsPerHold)
      throw SeatErrors.invalidHold(
        req.seats ? 'seats' : 'best',
        `must ask for 1 to ${this.o.maxSeatsPerHold} seats (INVENTORY_MAX_SEATS_PER_HOLD)`,
      )
    if (req.seats) {
      if ((req.category ?? req.accessible) !== undefined)
        throw SeatErrors.invalidHold('category', 'category and accessible go with best, not with seats')
      return this.holdNamed(showId, req.seats, ttl)
    }
    return this.holdBest(showId, req.best!, req, ttl)
  }

  private async holdNamed(showId: string, seatIds: string[], ttl: number) {
    const dup = seatIds.find((s, i) => seatIds.indexOf(s) !== i)
    if (dup !== undefined) throw SeatErrors.invalidHold('seats', `names seat ${dup} twice`)
    if (this.o.strategy.holdNamed) return this.holdNamedAtOnce(showId, seatIds, ttl)
    const numbers = await this.o.store.seatNumbers(showId, seatIds)
    if (!numbers) throw SeatErrors.showNotFound(showId)
    const unknown = seatIds.filter((s) => !numbers.has(s))
    if (unknown.length > 0) throw SeatErrors.unknownSeats(showId, unknown)
    const byNo = new Map(seatIds.map((s) => [numbers.get(s)!, s]))
    const seatNos = [...byNo.keys()].sort((a, b) => a - b)
    const r = await this.reserve(
      showId,
      seatNos,
      seatNos.map((no) => byNo.get(no)!),
      ttl,
    )
    if (r.ok) return r.hold
    this.o.onHold?.('taken', r.attempts)
    throw SeatErrors.seatsTaken(r.taken.map((no) => byNo.get(no)!))
  }

  /** The same hold in one round trip, when the strategy can (the pessimistic one). */
  private async holdNamedAtOnce(showId: string, seatIds: string[], ttl: number) {
    const holdId = newId('h')
    const r = await this.o.strategy.holdNamed!({
      showId,
      seatIds,
      holdId,
      ttlSeconds: ttl,
      job: { schema: this.o.jobs.schema, queue: HOLDS_QUEUE, task: EXPIRE_HOLD_TASK, key: expiryKey(holdId) },
    })
    if (r.outcome === 'no-show') throw SeatErrors.showNotFound(showId)
    if (r.outcome === 'unknown') throw SeatErrors.unknownSeats(showId, r.seats)
    if (r.outcome !== 'held') {
      this.o.onHold?.('taken', 1)
      throw SeatErrors.seatsTaken(r.seats)
    }
    this.o.changed()
    this.o.onHold?.('held', 1)
    return { id: holdId, seats: r.seats, expiresAt: r.expiresAt.toISOString() }
  }

  private async holdBest(showId: string, n: number, req: HoldRequest, ttl: number) {
    for (let attempt = 0; attempt <= this.o.bestRetries; attempt++) {
      const { seats } = await this.seatMap(showId)
      const seatNos = bestTogether(rowsOf(seats, req), n)
      if (!seatNos) {
        this.o.onHold?.('none-together', attempt + 1)
        throw SeatErrors.notEnoughTogether(n)
      }
      const ids = new Map(seats.map((s) => [s.seatNo, s.id]))
      const r = await this.reserve(
        showId,
        seatNos,
        seatNos.map((no) => ids.get(no)!),
        ttl,
      )
      if (r.ok) return r.hold
      // Someone took some of them between our read and our claim: look again.
    }
    this.o.onHold?.('contended', this.o.bestRetries + 1)
    throw SeatErrors.contended(this.o.bestRetries + 1)
  }

  /**
   * Claim seats through the strategy; with them, in the same transaction: the hold and its seats'
   * change (one statement), and its expiry job. Nothing here takes a row another buyer of the
   * show needs: the change gets its offset from the sequencer after the commit.
   */
  private async reserve(showId: string, seatNos: number[], seatIds: string[], ttl: number) {
    const holdId = newId('h')
    const r = await this.o.strategy.reserve(
      { showId, seatNos, holdId, ttlSeconds: ttl },
      async (tx: Queryable, expiresAt: Date) => {
        await this.o.store.insertHold(tx, { id: holdId, showId, seatNos, expiresAt })
        await this.o.jobs.addJob(tx, HOLDS_QUEUE, {
          task: EXPIRE_HOLD_TASK,
          payload: { hold: holdId },
          runAt: expiresAt,
          key: expiryKey(holdId),
        })
        return expiresAt
      },
    )
    if (!r.ok) return r
    this.o.changed()
    this.o.onHold?.('held', r.attempts)
    return { ok: true as const, hold: { id: holdId, seats: seatIds, expiresAt: r.value.toISOString() } }
  }

  /** A hold as a buyer sees it (an active hold whose time is up reads as expired). */
  async getHold(id: string): Promise<HoldView> {
    const h = await this.o.store.getHold(id)
    if (!h) throw SeatErrors.holdNotFound(id)
    return this.view(h, h.state === 'active' && h.lapsed ? 'expired' : h.state)
  }

  private async view(h: Hold, state: HoldState): Promise<HoldView> {
    return {
      id: h.id,
      showId: h.showId,
      seats: await this.o.store.seatIds(h.showId, h.seatNos),
      state,
      expiresAt: h.expiresAt.toISOString(),
      orderId: h.orderId,
    }
  }

  /**
   * Pay for a hold and turn it into an order, exactly once; refused once the hold's time is up,
   * whether or not the expiry job has run. Through the payments system (payment.ts): the payment
   * first (one PaymentIntent per hold, idempotent by the hold), then the order; a declined payment
   * releases the hold; a hold that ended while it was paid for gets its money back.
   */
  async confirm(id: string, paymentMethod?: string): Promise<{ orderId: string; amount: number }> {
    let ref = 'simulated'
    if (this.o.payment.name !== 'simulated') {
      const h = await this.o.store.getHold(id)
      if (!h) throw SeatErrors.holdNotFound(id)
      this.refuseEnded(h)
      const amount = await this.o.store.holdAmount(h)
      if (amount > 0) {
        const paid = await this.o.payment.charge(id, amount, paymentMethod)
        if (!paid.ok && paid.declined) {
          await this.end(id, 'released', false)
          throw SeatErrors.paymentDeclined(id, paid.reason)
        }
        if (!paid.ok) throw SeatErrors.paymentUnavailable(id, paid.reason)
        ref = paid.ref
      }
    }
    try {
      return await this.record(id, ref)
    } catch (err) {
      // Paid, but the hold ran out (or was released) meanwhile: the money goes back. A confirm
      // that lost to another confirm of the same hold paid with the same PaymentIntent: keep it.
      const code = (err as { code?: string }).code
      if (ref !== 'simulated' && code !== 'INVENTORY_HOLD_CONFIRMED') await this.o.payment.refund(ref)
      throw err
    }
  }

  private refuseEnded(h: Hold & { lapsed: boolean }): void {
    if (h.state === 'confirmed') throw SeatErrors.holdConfirmed(h.id, h.orderId)
    if (h.state === 'released') throw SeatErrors.holdReleased(h.id)
    if (h.state === 'expired' || h.lapsed) throw SeatErrors.holdExpired(h.id)
  }

  /** The order, in one transaction: seats sold, order recorded with its payment, hold ended, job removed. */
  private async record(id: string, payment: string): Promise<{ orderId: string; amount: number }> {
    const out = await this.o.store.db.tx(async (tx) => {
      const h = await this.o.store.lockHold(tx, id)
      if (!h) throw SeatErrors.holdNotFound(id)
      this.refuseEnded(h)
      const sold = await this.o.store.sellSeats(tx, h)
      // Fewer seats than held: it lapsed while this ran and another hold took some. Roll back.
      if (sold.length !== h.seatNos.length) throw SeatErrors.holdExpired(id)
      const orderId = newId('o')
      const amount = await this.o.store.insertOrder(tx, orderId, h, payment)
      await this.o.store.endHold(tx, id, 'confirmed', orderId)
      await this.hooks?.confirming(tx, id)
      await this.o.jobs.removeJob(tx, HOLDS_QUEUE, expiryKey(id))
      await this.o.store.appendChange(tx, h.showId, {
        state: 'sold',
        seatNos: h.seatNos,
        hold: id,
        reason: 'sold',
      })
      return { orderId, amount, seats: h.seatNos.length }
    })
    this.o.changed()
    this.o.onEnded?.('confirmed', out.seats)
    return { orderId: out.orderId, amount: out.amount }
  }

  /** Release a hold's seats (the buyer cancelled). Releasing a hold that already ended is a no-op. */
  async release(id: string): Promise<void> {
    await this.end(id, 'released', false)
  }

  /**
   * The expiry job's work: end the hold and free its seats if its time is up. A job that runs early
   * (another node's clock) enqueues itself again for the hold's expiry; one that runs late finds
   * nothing to do for seats another hold already took over.
   */
  async expire(id: string): Promise<{ freed: number; early?: boolean }> {
    return this.end(id, 'expired', true)
  }

  /**
   * End a hold in one round trip (sql/0005_end_hold.sql): its row locked, then its seats in seat
   * order; the seats still carrying it freed, its change appended, its job removed (a release) or
   * enqueued again for its expiry (a job that ran early, by another node's clock).
   */
  private async end(id: string, state: 'released' | 'expired', byJob: boolean) {
    const r = await this.o.store.endHoldAtOnce(id, state, byJob, {
      schema: this.o.jobs.schema,
      queue: HOLDS_QUEUE,
      task: EXPIRE_HOLD_TASK,
      key: expiryKey(id),
    })
    if (r.outcome === 'not-found') {
      if (byJob) return { freed: 0 }
      throw SeatErrors.holdNotFound(id)
    }
    if (r.outcome === 'confirmed') {
      if (byJob) return { freed: 0 }
      throw SeatErrors.holdConfirmed(id, r.orderId)
    }
    if (r.outcome === 'early') return { freed: 0, early: true }
    if (r.outcome === 'ended') return { freed: 0 }
    if (r.freed.length > 0) this.o.changed()
    this.o.onEnded?.(r.final as HoldState, r.freed.length)
    await this.hooks?.afterEnd(id, r.freed.length, byJob)
    return { freed: r.freed.length }
  }
}

/** The seat map as rows for the selection: eligible = free, of the category, accessible only if asked. */
export function rowsOf(seats: readonly Seat[], req: { category?: string; accessible?: boolean }): SeatRow[] {
  const rows: SeatRow[] = []
  let key = ''
  for (const s of seats) {
    const k = `${s.sectionIndex}:${s.rowIndex}`
    if (k !== key) {
      rows.push({ rank: s.sectionIndex * 10_000 + s.rowIndex, seats: [] })
      key = k
    }
    const free = s.state === 'free'
    const eligible =
      free &&
      (req.category === undefined || s.category === req.category) &&
      s.accessible === (req.accessible ?? false)
    rows[rows.length - 1]!.seats.push({ seatNo: s.seatNo, free, eligible })
  }
  return rows
}
