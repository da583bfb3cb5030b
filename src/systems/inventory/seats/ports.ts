/** The seat side's vocabulary and the one interface every reservation strategy implements. */
import type { Queryable } from '../../../platform/db/port.js'

export type SeatState = 'free' | 'held' | 'sold'
export type HoldState = 'active' | 'confirmed' | 'released' | 'expired'

/** A seat of a show's map, as the API shows it. */
export interface Seat {
  id: string
  seatNo: number
  section: string
  row: string
  number: number
  sectionIndex: number
  rowIndex: number
  rowSize: number
  category: string
  price: number
  accessible: boolean
  /** Held seats whose hold ran out read as free, whether or not the expiry job ran. */
  state: SeatState
}

export interface Hold {
  id: string
  showId: string
  seatNos: number[]
  state: HoldState
  expiresAt: Date
  orderId: string | null
}

/** One change of some seats' state on a show's live seat map (offsets dense per show). */
export interface SeatEvent {
  v: 1
  type: 'seats'
  show: number
  offset: number
  state: SeatState
  seats: string[]
  hold: string | null
  /** held, released, expired, sold, taken-over (a lapsed hold's seats held by another). */
  reason: string
  [field: string]: unknown
}

/** What a strategy is asked to claim: seats of one show, for a new hold, all or nothing. */
export interface ReserveRequest {
  showId: string
  /** Seat numbers in ascending order, distinct (the service sorts them: the lock order). */
  seatNos: number[]
  holdId: string
  ttlSeconds: number
}

/** Runs in the reserving transaction once the seats are claimed: the hold row, its event, its expiry job. */
export type Finish<T> = (tx: Queryable, expiresAt: Date) => Promise<T>

export type Reservation<T> =
  | { ok: true; value: T; attempts: number }
  /** Seats already held (and not lapsed) or sold, by seat number. */
  | { ok: false; taken: number[]; attempts: number }

/** A hold of named seats done by the strategy in one call (ids resolved, hold row, change, expiry job). */
export interface NamedHoldRequest {
  showId: string
  /** Distinct seat ids, as asked. */
  seatIds: string[]
  holdId: string
  ttlSeconds: number
  /** The expiry job: the job engine's schema, the queue, task and key. */
  job: { schema: string; queue: string; task: string; key: string }
}

export type NamedHoldResult =
  | { outcome: 'held'; seats: string[]; expiresAt: Date }
  /** Taken seats, in seat order; or seat ids the venue does not have, in the order asked. */
  | { outcome: 'taken' | 'unknown'; seats: string[] }
  | { outcome: 'no-show' }

/**
 * The reservation path (README, Strategies). Implementations: pessimistic (row locks in seat
 * order), optimistic (version check and retry); the naive read-then-write one lives in test/
 * only, to show why the others exist. All pass the same tests.
 */
export interface ReservationStrategy {
  readonly name: string
  /**
   * Claim every seat of `req` for `req.holdId` until `now() + ttlSeconds` (database time), or none
   * of them; `finish` runs in the same transaction after the claim, and the claim commits only
   * with it.
   */
  reserve<T>(req: ReserveRequest, finish: Finish<T>): Promise<Reservation<T>>
  /**
   * Optional: a whole hold of named seats in one round trip (the hot path of an on-sale). Same
   * outcome as resolving the ids, `reserve` and the service's `finish`; the pessimistic strategy
   * has it (sql/0003_hold_seats.sql).
   */
  holdNamed?(req: NamedHoldRequest): Promise<NamedHoldResult>
}
