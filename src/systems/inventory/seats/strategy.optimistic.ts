/**
 * Optimistic reservation: read the seats and their versions without a lock, then claim them in a
 * short transaction with `UPDATE ... WHERE version = <the version read>`. If another buyer changed
 * any of them in between, the update matches fewer rows: roll back, read again, retry (at most
 * INVENTORY_OPTIMISTIC_RETRIES times, with a short random pause). A seat found taken on a read is
 * a refusal, not a retry. Nobody waits on a lock during the read, and a claim that loses costs a
 * rolled-back transaction; under heavy contention for the same seats the retries are the price
 * (counted in `inventory_hold_attempts_total`).
 *
 * PostgreSQL still takes row locks for the UPDATE itself: a claim racing another on the same row
 * waits for that one to commit, then re-checks its WHERE against the new row version (read
 * committed), finds the version changed and skips the row. Two claims touching shared rows in
 * different orders can deadlock; PostgreSQL aborts one (40P01) and it is retried like a lost race.
 */
import type { Db } from '../../../platform/db/port.js'
import type { Finish, Reservation, ReservationStrategy, ReserveRequest } from './ports.js'

/** A claim that matched fewer rows than asked: the transaction rolls back and the hold retries. */
class LostRace extends Error {}

const RETRYABLE = new Set(['40P01', '40001'])

export class OptimisticStrategy implements ReservationStrategy {
  readonly name = 'optimistic'
  constructor(
    private readonly db: Db,
    private readonly retries: number,
    private readonly onContended: (attempts: number) => Error,
  ) {}

  /** Read versions, claim with a version check, retry on a lost race (README, Strategies). */
  async reserve<T>(req: ReserveRequest, finish: Finish<T>): Promise<Reservation<T>> {
    for (let attempt = 1; ; attempt++) {
      const { rows } = await this.db.query<{ seat_no: number; version: number; available: boolean }>(
        `SELECT seat_no, version, (state = 'free' OR (state = 'held' AND held_until <= now())) AS available
           FROM show_seats WHERE show_id = $1 AND seat_no = ANY($2::int[])`,
        [req.showId, req.seatNos],
      )
      const taken = rows.filter((r) => !r.available).map((r) => r.seat_no)
      if (taken.length > 0) return { ok: false, taken: taken.sort((a, b) => a - b), attempts: attempt }
      try {
        const value = await this.db.tx(async (tx) => {
          const claimed = await tx.query<{ held_until: Date }>(
            `UPDATE show_seats s SET state = 'held', hold_id = $4, held_until = now() + make_interval(secs => $5),
                    version = s.version + 1
               FROM unnest($2::int[], $3::int[]) AS v(seat_no, version)
              WHERE s.show_id = $1 AND s.seat_no = v.seat_no AND s.version = v.version
              RETURNING s.held_until`,
            [req.showId, rows.map((r) => r.seat_no), rows.map((r) => r.version), req.holdId, req.ttlSeconds],
          )
          if (claimed.rowCount !== req.seatNos.length) throw new LostRace()
          return finish(tx, claimed.rows[0]!.held_until)
        })
        return { ok: true, value, attempts: attempt }
      } catch (err) {
        const code = (err as { code?: string }).code
        if (!(err instanceof LostRace) && !(code && RETRYABLE.has(code))) throw err
        if (attempt > this.retries) throw this.onContended(attempt)
        // A short random pause spreads the retries of buyers who lost the same race.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)))
      }
    }
  }
}
