/**
 * Pessimistic reservation: in one transaction, lock the requested seat rows with
 * `SELECT ... FOR UPDATE` in seat order, check them, claim them. A concurrent buyer of any of
 * the same seats waits on the first row it shares, then sees them taken: exactly one winner,
 * never a retry. The fixed order means no deadlock: two buyers of overlapping sets both want
 * the lowest shared seat first, so one waits for the other instead of each holding what the
 * other needs. The cost: buyers of the same hot seats queue, one transaction at a time.
 */
import type { Db } from '../../../platform/db/port.js'
import type {
  Finish,
  NamedHoldRequest,
  NamedHoldResult,
  Reservation,
  ReservationStrategy,
  ReserveRequest,
} from './ports.js'

export class PessimisticStrategy implements ReservationStrategy {
  readonly name = 'pessimistic'
  constructor(private readonly db: Db) {}

  /**
   * Lock, check and claim the seats in one transaction (README, Strategies). The lock, the check
   * and the claim are one statement: the CTE locks every asked seat in seat order (its rows are
   * all read, so all locked, before the UPDATE writes any), and the UPDATE writes only when none
   * is taken. One round trip instead of two, on the path every buyer takes.
   */
  async reserve<T>(req: ReserveRequest, finish: Finish<T>): Promise<Reservation<T>> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ taken: number[] | null; held_until: Date | null }>(
        `WITH locked AS (
           SELECT seat_no, (state = 'free' OR (state = 'held' AND held_until <= now())) AS available
             FROM show_seats WHERE show_id = $1 AND seat_no = ANY($2::int[])
            ORDER BY seat_no FOR UPDATE),
         taken AS (SELECT array_agg(seat_no ORDER BY seat_no) AS seats FROM locked WHERE NOT available),
         claimed AS (
           UPDATE show_seats s SET state = 'held', hold_id = $3,
                  held_until = now() + make_interval(secs => $4), version = s.version + 1
             FROM locked l
            WHERE s.show_id = $1 AND s.seat_no = l.seat_no AND (SELECT seats FROM taken) IS NULL
            RETURNING s.held_until)
         SELECT (SELECT seats FROM taken) AS taken, (SELECT min(held_until) FROM claimed) AS held_until`,
        [req.showId, req.seatNos, req.holdId, req.ttlSeconds],
      )
      const r = rows[0]!
      if (r.taken) return { ok: false as const, taken: r.taken, attempts: 1 }
      const value = await finish(tx, r.held_until!)
      return { ok: true as const, value, attempts: 1 }
    })
  }

  /**
   * A hold of named seats as one statement (sql/0003_hold_seats.sql): the same locks in the same
   * order as `reserve`, plus the hold row, its change and its expiry job, in one round trip and
   * one implicit transaction.
   */
  async holdNamed(req: NamedHoldRequest): Promise<NamedHoldResult> {
    const { rows } = await this.db.query<{
      outcome: string
      seats: string[] | null
      expires_at: Date | null
    }>('SELECT outcome, seats, expires_at FROM hold_seats($1, $2, $3, $4, $5, $6, $7, $8)', [
      req.showId,
      req.seatIds,
      req.holdId,
      req.ttlSeconds,
      req.job.schema,
      req.job.queue,
      req.job.task,
      req.job.key,
    ])
    const r = rows[0]!
    if (r.outcome === 'held') return { outcome: 'held', seats: r.seats!, expiresAt: r.expires_at! }
    if (r.outcome === 'taken' || r.outcome === 'unknown') return { outcome: r.outcome, seats: r.seats! }
    return { outcome: 'no-show' }
  }
}
