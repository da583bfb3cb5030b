/**
 * The naive reservation, for tests only: read the seats, see them free, then write them with no
 * lock and no check of what the read saw. Between the read and the write is a window (here made
 * explicit with one turn of the event loop, which any real server has between two statements)
 * in which another buyer reads the same free seats; both then write, both get a 201, and the
 * seat is promised twice. `concurrency.test.ts` shows it next to the real strategies.
 */
import type { Db } from '../../../platform/db/port.js'
import type { Finish, Reservation, ReservationStrategy, ReserveRequest } from '../seats/ports.js'

export class NaiveStrategy implements ReservationStrategy {
  readonly name = 'naive'
  constructor(private readonly db: Db) {}

  /** Read, then write blindly: the race the other strategies exist to win. */
  async reserve<T>(req: ReserveRequest, finish: Finish<T>): Promise<Reservation<T>> {
    const { rows } = await this.db.query<{ seat_no: number; available: boolean }>(
      `SELECT seat_no, (state = 'free' OR (state = 'held' AND held_until <= now())) AS available
         FROM show_seats WHERE show_id = $1 AND seat_no = ANY($2::int[])`,
      [req.showId, req.seatNos],
    )
    const taken = rows.filter((r) => !r.available).map((r) => r.seat_no)
    if (taken.length > 0) return { ok: false, taken, attempts: 1 }
    await new Promise((r) => setImmediate(r))
    const value = await this.db.tx(async (tx) => {
      const claimed = await tx.query<{ held_until: Date }>(
        `UPDATE show_seats SET state = 'held', hold_id = $3, held_until = now() + make_interval(secs => $4),
                version = version + 1
          WHERE show_id = $1 AND seat_no = ANY($2::int[]) RETURNING held_until`,
        [req.showId, req.seatNos, req.holdId, req.ttlSeconds],
      )
      return finish(tx, claimed.rows[0]!.held_until)
    })
    return { ok: true, value, attempts: 1 }
  }
}
