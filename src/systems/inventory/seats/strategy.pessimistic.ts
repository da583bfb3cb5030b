/**
 * Pessimistic reservation: in one transaction, lock the requested seat rows with
 * `SELECT ... FOR UPDATE` in seat order, check them, claim them. A concurrent buyer of any of
 * the same seats waits on the first row it shares, then sees them taken: exactly one winner,
 * never a retry. The fixed order means no deadlock: two buyers of overlapping sets both want
 * the lowest shared seat first, so one waits for the other instead of each holding what the
 * other needs. The cost: buyers of the same hot seats queue, one transaction at a time.
 */
import type { Db } from '../../../platform/db/port.js'
import type { Finish, Reservation, ReservationStrategy, ReserveRequest } from './ports.js'

export class PessimisticStrategy implements ReservationStrategy {
  readonly name = 'pessimistic'
  constructor(private readonly db: Db) {}

  /** Lock, check and claim the seats in one transaction (README, Strategies). */
  async reserve<T>(req: ReserveRequest, finish: Finish<T>): Promise<Reservation<T>> {
    return this.db.tx(async (tx) => {
      // ORDER BY under FOR UPDATE: rows are locked as the sort returns them, in seat order.
      const { rows } = await tx.query<{ seat_no: number; available: boolean }>(
        `SELECT seat_no, (state = 'free' OR (state = 'held' AND held_until <= now())) AS available
           FROM show_seats WHERE show_id = $1 AND seat_no = ANY($2::int[])
          ORDER BY seat_no FOR UPDATE`,
        [req.showId, req.seatNos],
      )
      const taken = rows.filter((r) => !r.available).map((r) => r.seat_no)
      if (taken.length > 0) return { ok: false as const, taken, attempts: 1 }
      const claimed = await tx.query<{ held_until: Date }>(
        `UPDATE show_seats SET state = 'held', hold_id = $3, held_until = now() + make_interval(secs => $4),
                version = version + 1
          WHERE show_id = $1 AND seat_no = ANY($2::int[])
          RETURNING held_until`,
        [req.showId, req.seatNos, req.holdId, req.ttlSeconds],
      )
      const value = await finish(tx, claimed.rows[0]!.held_until)
      return { ok: true as const, value, attempts: 1 }
    })
  }
}
