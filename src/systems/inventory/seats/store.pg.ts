/**
 * The seat side's SQL (apart from the strategies' claim, in strategy.*.ts): venues, shows, the
 * seat map, holds, orders and the seat-event stream. Every transaction that touches several seats
 * locks them in `seat_no` order, so no two transactions wait for each other in a cycle. No buyer's
 * transaction takes the show's counter row (`shows.last_offset`): changes are appended to
 * `seat_changes` and the sequencer numbers them (sequencer.ts).
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { Hold, HoldState, Seat, SeatEvent, SeatState } from './ports.js'
import type { VenueSeat } from './venue-input.js'

interface HoldRow {
  id: string
  show_id: string
  seat_nos: number[]
  state: HoldState
  expires_at: Date
  order_id: string | null
}

const holdOf = (r: HoldRow): Hold => ({
  id: r.id,
  showId: r.show_id,
  seatNos: r.seat_nos,
  state: r.state,
  expiresAt: r.expires_at,
  orderId: r.order_id,
})

const HOLD_COLUMNS = 'id, show_id::text AS show_id, seat_nos, state, expires_at, order_id'

/** A show's seats as a state read: held seats whose hold ran out are free (expiry checked at read). */
const SEAT_STATE = `CASE WHEN ss.state = 'held' AND ss.held_until <= now() THEN 'free' ELSE ss.state END`

export class SeatStore {
  constructor(readonly db: Db) {}

  /** Create a venue and its seats; its id. */
  async createVenue(name: string, seats: VenueSeat[]): Promise<string> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        'INSERT INTO venues (name, seat_count) VALUES ($1, $2) RETURNING id::text AS id',
        [name, seats.length],
      )
      const id = rows[0]!.id
      const col = <K extends keyof VenueSeat>(k: K) => seats.map((s) => s[k])
      await tx.query(
        `INSERT INTO venue_seats (venue_id, seat_no, seat_id, section, row_name, number, section_index,
                                  row_index, row_size, category, price, accessible)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[],
                                  $8::int[], $9::int[], $10::text[], $11::bigint[], $12::boolean[])`,
        [
          id,
          col('seatNo'),
          col('seatId'),
          col('section'),
          col('row'),
          col('number'),
          col('sectionIndex'),
          col('rowIndex'),
          col('rowSize'),
          col('category'),
          col('price'),
          col('accessible'),
        ],
      )
      return id
    })
  }

  /** Create a show of `venueId` with every seat free; undefined when the venue does not exist. */
  async createShow(venueId: string, startsAt: Date): Promise<string | undefined> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO shows (venue_id, starts_at) SELECT id, $2 FROM venues WHERE id = $1
         RETURNING id::text AS id`,
        [venueId, startsAt],
      )
      const id = rows[0]?.id
      if (id === undefined) return undefined
      await tx.query(
        'INSERT INTO show_seats (show_id, seat_no) SELECT $1, seat_no FROM venue_seats WHERE venue_id = $2',
        [id, venueId],
      )
      return id
    })
  }

  /** Every seat of a show with its state, and the head of its event stream, in one snapshot. */
  async seatMap(showId: string): Promise<{ head: number; seats: Seat[] } | undefined> {
    const { rows } = await this.db.query<Seat & { head: number }>(
      `SELECT sh.last_offset::float8 AS head, vs.seat_id AS id, vs.seat_no AS "seatNo", vs.section,
              vs.row_name AS row, vs.number, vs.section_index AS "sectionIndex", vs.row_index AS "rowIndex",
              vs.row_size AS "rowSize", vs.category, vs.price::float8 AS price, vs.accessible,
              ${SEAT_STATE} AS state
         FROM shows sh
         JOIN show_seats ss ON ss.show_id = sh.id
         JOIN venue_seats vs ON vs.venue_id = sh.venue_id AND vs.seat_no = ss.seat_no
        WHERE sh.id = $1
        ORDER BY ss.seat_no`,
      [showId],
    )
    if (rows.length === 0) return (await this.showExists(showId)) ? { head: 0, seats: [] } : undefined
    const head = rows[0]!.head
    for (const r of rows) delete (r as Partial<typeof r>).head
    return { head, seats: rows }
  }

  async showExists(showId: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM shows WHERE id = $1', [showId])
    return rows.length > 0
  }

  /** The seat numbers of `seatIds` in a show (absent ids are unknown); undefined when the show does not exist. */
  async seatNumbers(showId: string, seatIds: string[]): Promise<Map<string, number> | undefined> {
    const { rows } = await this.db.query<{ seat_id: string | null; seat_no: number | null }>(
      `SELECT vs.seat_id, vs.seat_no FROM shows sh
         LEFT JOIN venue_seats vs ON vs.venue_id = sh.venue_id AND vs.seat_id = ANY($2::text[])
        WHERE sh.id = $1`,
      [showId, seatIds],
    )
    if (rows.length === 0) return undefined
    return new Map(rows.filter((r) => r.seat_id !== null).map((r) => [r.seat_id!, r.seat_no!]))
  }

  /** Seat ids of seat numbers of a show, in seat order. */
  async seatIds(showId: string, seatNos: number[]): Promise<string[]> {
    const { rows } = await this.db.query<{ seat_id: string }>(
      `SELECT vs.seat_id FROM shows sh JOIN venue_seats vs ON vs.venue_id = sh.venue_id
        WHERE sh.id = $1 AND vs.seat_no = ANY($2::int[]) ORDER BY vs.seat_no`,
      [showId, seatNos],
    )
    return rows.map((r) => r.seat_id)
  }

  /** Insert a new hold and its seats' `held` change, in one statement (one round trip of the hot path). */
  async insertHold(tx: Queryable, h: { id: string; showId: string; seatNos: number[]; expiresAt: Date }) {
    await tx.query(
      `WITH hold AS (INSERT INTO holds (id, show_id, seat_nos, expires_at) VALUES ($1, $2, $3, $4))
       INSERT INTO seat_changes (show_id, state, seat_nos, hold_id, reason) VALUES ($2, 'held', $3, $1, 'held')`,
      [h.id, h.showId, h.seatNos, h.expiresAt],
    )
  }

  async getHold(id: string): Promise<(Hold & { lapsed: boolean }) | undefined> {
    const { rows } = await this.db.query<HoldRow & { lapsed: boolean }>(
      `SELECT ${HOLD_COLUMNS}, expires_at <= now() AS lapsed FROM holds WHERE id = $1`,
      [id],
    )
    return rows[0] && { ...holdOf(rows[0]), lapsed: rows[0].lapsed }
  }

  /** Lock a hold's row for the rest of `tx`; `lapsed`: its time is up (database clock). */
  async lockHold(tx: Queryable, id: string): Promise<(Hold & { lapsed: boolean }) | undefined> {
    const { rows } = await tx.query<HoldRow & { lapsed: boolean }>(
      `SELECT ${HOLD_COLUMNS}, expires_at <= now() AS lapsed FROM holds WHERE id = $1 FOR UPDATE`,
      [id],
    )
    return rows[0] && { ...holdOf(rows[0]), lapsed: rows[0].lapsed }
  }

  /** Lock a show's seats in seat order (the one lock order of every multi-seat transaction). */
  async lockSeats(tx: Queryable, showId: string, seatNos: number[]): Promise<void> {
    await tx.query(
      'SELECT seat_no FROM show_seats WHERE show_id = $1 AND seat_no = ANY($2::int[]) ORDER BY seat_no FOR UPDATE',
      [showId, seatNos],
    )
  }

  /**
   * Sell the seats still held by `hold` (their rows locked first); the seat numbers sold. Fewer
   * than the hold's means another hold took some over after this one lapsed.
   */
  async sellSeats(tx: Queryable, hold: Hold): Promise<number[]> {
    await this.lockSeats(tx, hold.showId, hold.seatNos)
    const { rows } = await tx.query<{ seat_no: number }>(
      `UPDATE show_seats SET state = 'sold', held_until = NULL, version = version + 1
        WHERE show_id = $1 AND seat_no = ANY($2::int[]) AND hold_id = $3 AND state = 'held' AND held_until > now()
        RETURNING seat_no`,
      [hold.showId, hold.seatNos, hold.id],
    )
    return rows.map((r) => r.seat_no)
  }

  /** End a hold in one call (sql/0005_end_hold.sql); see SeatService.end. */
  async endHoldAtOnce(
    id: string,
    state: 'released' | 'expired',
    byJob: boolean,
    job: { schema: string; queue: string; task: string; key: string },
  ): Promise<{ outcome: string; final: string | null; freed: number[]; orderId: string | null }> {
    const { rows } = await this.db.query<{
      outcome: string
      final: string | null
      freed: number[] | null
      order_id: string | null
    }>('SELECT outcome, final, freed, order_id FROM end_hold($1, $2, $3, $4, $5, $6, $7)', [
      id,
      state,
      byJob,
      job.schema,
      job.queue,
      job.task,
      job.key,
    ])
    const r = rows[0]!
    return { outcome: r.outcome, final: r.final, freed: r.freed ?? [], orderId: r.order_id }
  }

  /** What a hold's seats cost at their prices (minor units), as its order will record. */
  async holdAmount(hold: Hold): Promise<number> {
    const { rows } = await this.db.query<{ amount: number }>(
      `SELECT coalesce(sum(vs.price), 0)::float8 AS amount
         FROM shows sh JOIN venue_seats vs ON vs.venue_id = sh.venue_id AND vs.seat_no = ANY($2::int[])
        WHERE sh.id = $1`,
      [hold.showId, hold.seatNos],
    )
    return rows[0]?.amount ?? 0
  }

  /** Record an order for a hold's seats at their prices; the order's id and amount. */
  async insertOrder(tx: Queryable, orderId: string, hold: Hold, payment: string): Promise<number> {
    const { rows } = await tx.query<{ amount: number }>(
      `INSERT INTO orders (id, hold_id, show_id, seat_nos, amount, payment)
       SELECT $1, $2, sh.id, $4::int[], coalesce(sum(vs.price), 0), $5
         FROM shows sh JOIN venue_seats vs ON vs.venue_id = sh.venue_id AND vs.seat_no = ANY($4::int[])
        WHERE sh.id = $3 GROUP BY sh.id
       RETURNING amount::float8 AS amount`,
      [orderId, hold.id, hold.showId, hold.seatNos, payment],
    )
    return rows[0]!.amount
  }

  async endHold(tx: Queryable, id: string, state: HoldState, orderId: string | null = null): Promise<void> {
    await tx.query('UPDATE holds SET state = $2, order_id = $3, ended_at = now() WHERE id = $1', [
      id,
      state,
      orderId,
    ])
  }

  /**
   * Append a change of some seats of a show, in the transaction that made it (after it locked
   * those seats): one insert, no lock another buyer waits for. The sequencer gives it its offset
   * (sequencer.ts).
   */
  async appendChange(
    tx: Queryable,
    showId: string,
    c: { state: SeatState; seatNos: number[]; hold: string | null; reason: string },
  ): Promise<void> {
    await tx.query(
      'INSERT INTO seat_changes (show_id, state, seat_nos, hold_id, reason) VALUES ($1, $2, $3, $4, $5)',
      [showId, c.state, c.seatNos, c.hold, c.reason],
    )
  }

  /** Whether some change waits for its offset (the sequencer's tick looks before it locks). */
  async hasChanges(): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM seat_changes LIMIT 1')
    return rows.length > 0
  }

  /**
   * Move up to `limit` committed changes, oldest id first, into `seat_events`, each show's taking
   * its next dense offsets (its counter row updated once for the batch); the events, by show and
   * offset. One sequencer at a time: the advisory lock is taken first, in its own statement, so
   * the batch's snapshot is taken after the previous batch committed.
   */
  async sequenceChanges(tx: Queryable, limit: number): Promise<SeatEvent[]> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.seat-sequencer'))")
    const { rows } = await tx.query<{
      show_id: string
      offset: number
      state: SeatState
      seat_ids: string[]
      hold_id: string | null
      reason: string
    }>(
      `WITH taken AS (
         DELETE FROM seat_changes WHERE id IN (SELECT id FROM seat_changes ORDER BY id LIMIT $1)
         RETURNING id, show_id, state, seat_nos, hold_id, reason),
       numbered AS (
         SELECT t.*, row_number() OVER (PARTITION BY show_id ORDER BY id) AS n FROM taken t),
       counts AS (SELECT show_id, count(*) AS total FROM taken GROUP BY show_id),
       bumped AS (
         UPDATE shows s SET last_offset = s.last_offset + c.total FROM counts c WHERE s.id = c.show_id
         RETURNING s.id, s.venue_id, s.last_offset - c.total AS base)
       INSERT INTO seat_events (show_id, "offset", state, seat_ids, hold_id, reason)
       SELECT n.show_id, b.base + n.n, n.state,
              ARRAY(SELECT seat_id FROM venue_seats WHERE venue_id = b.venue_id AND seat_no = ANY(n.seat_nos)
                     ORDER BY seat_no),
              n.hold_id, n.reason
         FROM numbered n JOIN bumped b ON b.id = n.show_id
       RETURNING show_id::text AS show_id, "offset"::float8 AS "offset", state, seat_ids, hold_id, reason`,
      [limit],
    )
    return rows
      .map((r) => eventOf(r.show_id, r.offset, r.state, r.seat_ids, r.hold_id, r.reason))
      .sort((a, b) => a.show - b.show || a.offset - b.offset)
  }

  /** The last offset of each show of `ids` (absent: no such show). */
  async heads(ids: string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ id: string; head: number }>(
      'SELECT id::text AS id, last_offset::float8 AS head FROM shows WHERE id = ANY($1::bigint[])',
      [ids],
    )
    return new Map(rows.map((r) => [r.id, r.head]))
  }

  /** A show's events with offsets in (after, upTo], in order, at most `limit`. */
  async events(showId: string, after: number, upTo: number, limit: number): Promise<SeatEvent[]> {
    const { rows } = await this.db.query<{
      offset: number
      state: SeatState
      seat_ids: string[]
      hold_id: string | null
      reason: string
    }>(
      `SELECT "offset"::float8 AS "offset", state, seat_ids, hold_id, reason FROM seat_events
        WHERE show_id = $1 AND "offset" > $2 AND "offset" <= $3 ORDER BY "offset" LIMIT $4`,
      [showId, after, upTo, limit],
    )
    return rows.map((r) => eventOf(showId, r.offset, r.state, r.seat_ids, r.hold_id, r.reason))
  }
}

function eventOf(
  showId: string,
  offset: number,
  state: SeatState,
  seats: string[],
  hold: string | null,
  reason: string,
): SeatEvent {
  return { v: 1, type: 'seats', show: Number(showId), offset, state, seats, hold, reason }
}
