/**
 * The waitlist per show: buyers line up for N seats (of a category); whenever seats of the show
 * come free (a hold released or expired) the first in line is offered the best N together as a
 * hold of its own with a short TTL (INVENTORY_WAITLIST_OFFER_SECONDS). The offer is a normal hold:
 * the buyer confirms it with `POST /holds/{id}/confirm`; if it is released or lapses, the entry is
 * `lapsed` and its seats go to the next in line the same way.
 *
 * The line is strict: while the first in line's N seats are not free together, nobody behind it is
 * offered (a group of four is not starved by singles). An offer is made after the release commits,
 * so a buyer holding at that very moment may win the freed seats; then the next seats freed go to
 * the line. A process dying between the offer's hold and marking the entry leaves a hold nobody
 * was told of: it lapses after the offer TTL and its seats are offered again.
 */
import { randomBytes } from 'node:crypto'
import type { Db, Queryable } from '../../../platform/db/port.js'
import { AppError } from '../../../platform/errors.js'
import { SeatErrors } from './errors.js'
import type { SeatService } from './service.js'

export type WaitlistState = 'waiting' | 'offered' | 'booked' | 'lapsed' | 'left'

export interface WaitlistView {
  id: string
  showId: string
  seats: number
  category: string | null
  state: WaitlistState
  /** 1 for the first in line; null once the entry is out of the line. */
  position: number | null
  /** The hold offered (confirm it to book), once offered. */
  holdId: string | null
}

interface Row {
  id: string
  show_id: string
  seats: number
  category: string | null
  state: WaitlistState
  hold_id: string | null
  position: number | null
}

/** The most offers one pass makes before it yields (each is a hold). */
const MAX_OFFERS_PER_PASS = 50

export class Waitlist {
  constructor(
    private readonly db: Db,
    private readonly seats: SeatService,
    private readonly offerTtlSeconds: number,
    private readonly maxSeats: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Join a show's line for `seats` seats; offered at once when they are free now. */
  async join(showId: string, seats: number, category?: string): Promise<WaitlistView> {
    if (!Number.isSafeInteger(seats) || seats < 1 || seats > this.maxSeats)
      throw SeatErrors.invalidHold('seats', `must ask for 1 to ${this.maxSeats} seats`)
    const id = `w_${randomBytes(12).toString('base64url')}`
    const { rowCount } = await this.db.query(
      `INSERT INTO waitlist (id, show_id, seats, category) SELECT $1, id, $3, $4 FROM shows WHERE id = $2`,
      [id, showId, seats, category ?? null],
    )
    if (rowCount === 0) throw SeatErrors.showNotFound(showId)
    await this.offer(showId)
    return this.get(id)
  }

  /** An entry with its place in line (or the hold offered to it). */
  async get(id: string): Promise<WaitlistView> {
    const { rows } = await this.db.query<Row>(
      `SELECT w.id, w.show_id::text, w.seats, w.category, w.state, w.hold_id,
              CASE WHEN w.state = 'waiting' THEN (SELECT count(*)::int FROM waitlist o
                WHERE o.show_id = w.show_id AND o.state = 'waiting' AND o.seq <= w.seq) END AS position
         FROM waitlist w WHERE w.id = $1`,
      [id],
    )
    const r = rows[0]
    if (!r) throw waitlistNotFound(id)
    return {
      id: r.id,
      showId: r.show_id,
      seats: r.seats,
      category: r.category,
      state: r.state,
      position: r.position,
      holdId: r.hold_id,
    }
  }

  /** Leave the line; an offer not yet confirmed is released (its seats go to the next). Idempotent. */
  async leave(id: string): Promise<void> {
    const entry = await this.get(id)
    if (entry.state === 'waiting')
      await this.db.query(`UPDATE waitlist SET state = 'left' WHERE id = $1 AND state = 'waiting'`, [id])
    else if (entry.state === 'offered') await this.seats.release(entry.holdId!)
  }

  /**
   * Offer free seats of a show to its line, first come first served, until the first in line's
   * seats are not free together. Two processes offering at once both hold seats for the same
   * entry; the one that marks it first wins, the other releases its hold (which offers again).
   */
  async offer(showId: string): Promise<number> {
    let offered = 0
    for (let i = 0; i < MAX_OFFERS_PER_PASS; i++) {
      const { rows } = await this.db.query<{ id: string; seats: number; category: string | null }>(
        `SELECT id, seats, category FROM waitlist WHERE show_id = $1 AND state = 'waiting' ORDER BY seq LIMIT 1`,
        [showId],
      )
      const first = rows[0]
      if (!first) return offered
      let hold: { id: string }
      try {
        hold = await this.seats.hold(showId, {
          best: first.seats,
          ...(first.category !== null && { category: first.category }),
          ttlSeconds: this.offerTtlSeconds,
        })
      } catch (err) {
        // Not enough seats together (or they keep changing): the line waits for the next release.
        if (err instanceof AppError && err.status === 409) return offered
        throw err
      }
      const marked = await this.db.query(
        `UPDATE waitlist SET state = 'offered', hold_id = $2 WHERE id = $1 AND state = 'waiting'`,
        [first.id, hold.id],
      )
      if (marked.rowCount === 1) offered++
      else await this.seats.release(hold.id)
    }
    return offered
  }

  /** In a confirm's transaction: the entry offered this hold is booked. */
  async confirming(tx: Queryable, holdId: string): Promise<void> {
    await tx.query(`UPDATE waitlist SET state = 'booked' WHERE hold_id = $1 AND state = 'offered'`, [holdId])
  }

  /**
   * After a hold ended (released or expired): the entry it was offered to, if any, lapses; when it
   * freed seats of a show with people in line, they are offered. One round trip when nobody waits.
   */
  async ended(holdId: string, freed: number): Promise<void> {
    const { rows } = await this.db.query<{ show_id: string }>(
      `WITH lapsed AS (UPDATE waitlist SET state = 'lapsed' WHERE hold_id = $1 AND state = 'offered')
       SELECT h.show_id::text FROM holds h
        WHERE h.id = $1 AND EXISTS (SELECT 1 FROM waitlist w WHERE w.show_id = h.show_id AND w.state = 'waiting')`,
      [holdId],
    )
    if (rows[0] && freed > 0) await this.offer(rows[0].show_id)
  }

  /** `ended`, awaited by the expiry job; without waiting for it for a buyer's release (failures logged). */
  afterEnd(holdId: string, freed: number, wait: boolean): Promise<void> | undefined {
    if (wait) return this.ended(holdId, freed)
    this.ended(holdId, freed).catch(this.onError)
    return undefined
  }
}

function waitlistNotFound(id: string): AppError {
  return new AppError('INVENTORY_WAITLIST_NOT_FOUND', 404, `waitlist entry ${id} does not exist`)
}
