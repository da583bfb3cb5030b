/**
 * The virtual waiting room for on-sale spikes. With INVENTORY_WAITING_ROOM_CAPACITY = C > 0, at
 * most C buyers of a show are "in" at once: a buyer takes a ticket (`POST /shows/{id}/queue`),
 * is admitted at once while fewer than C are in, and otherwise waits with a position and an
 * estimated wait, admitted strictly in ticket order as places free up. An admitted ticket is good
 * for INVENTORY_WAITING_ROOM_SESSION_SECONDS; holding seats needs one (`queue-ticket` header).
 * Leaving (`DELETE /queue/{ticket}`) or the session's end frees the place.
 *
 * Admission is a step any process runs when a ticket is taken or looked at: under a per-show
 * transaction advisory lock, count the unexpired admitted tickets and admit the first waiting ones
 * up to C. The lock makes two processes admitting at once count one after the other, so never more
 * than C are in. Tickets live in PostgreSQL (or PGlite) beside the seats, so the room survives a
 * restart and every process sees one line.
 */
import { randomBytes } from 'node:crypto'
import type { Db } from '../../../platform/db/port.js'
import { AppError } from '../../../platform/errors.js'
import { SeatErrors } from './errors.js'

export interface TicketView {
  ticket: string
  showId: string
  state: 'waiting' | 'admitted' | 'left' | 'expired'
  /** 1 for the next to be admitted; null once admitted or out. */
  position: number | null
  /** Seconds until admission at the recent admission rate; 0 once admitted. */
  estimatedWaitSeconds: number | null
  admittedUntil: string | null
}

/** Advisory lock class of the admission step (the second key is the show). */
const ADMIT_LOCK = 20_006

export class WaitingRoom {
  constructor(
    private readonly db: Db,
    readonly capacity: number,
    private readonly sessionSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.capacity > 0
  }

  /** Take a ticket for a show's room: admitted at once when there is room, else a place in line. */
  async enter(showId: string): Promise<TicketView> {
    const ticket = `q_${randomBytes(12).toString('base64url')}`
    const { rowCount } = await this.db.query(
      'INSERT INTO queue_tickets (id, show_id) SELECT $1, id FROM shows WHERE id = $2',
      [ticket, showId],
    )
    if (rowCount === 0) throw SeatErrors.showNotFound(showId)
    return this.look(ticket)
  }

  /** A ticket's state, admitting whoever's turn it is first. */
  async look(ticket: string): Promise<TicketView> {
    const show = await this.db.query<{ show_id: string }>(
      'SELECT show_id::text FROM queue_tickets WHERE id = $1',
      [ticket],
    )
    if (!show.rows[0]) throw ticketNotFound(ticket)
    await this.admit(show.rows[0].show_id)
    const { rows } = await this.db.query<{
      show_id: string
      state: 'waiting' | 'admitted' | 'left'
      admitted_until: Date | null
      lapsed: boolean
      position: number | null
      recent: number
    }>(
      `SELECT t.show_id::text, t.state, t.admitted_until, coalesce(t.admitted_until <= now(), false) AS lapsed,
              CASE WHEN t.state = 'waiting' THEN (SELECT count(*)::int FROM queue_tickets o
                WHERE o.show_id = t.show_id AND o.state = 'waiting' AND o.seq <= t.seq) END AS position,
              (SELECT count(*)::int FROM queue_tickets a WHERE a.show_id = t.show_id
                 AND a.admitted_at > now() - interval '5 minutes') AS recent
         FROM queue_tickets t WHERE t.id = $1`,
      [ticket],
    )
    const r = rows[0]!
    // The admission rate: what the last five minutes admitted, and at least a full room per session.
    const rate = Math.max(r.recent / 300, this.capacity / this.sessionSeconds)
    return {
      ticket,
      showId: r.show_id,
      state: r.state === 'admitted' && r.lapsed ? 'expired' : r.state,
      position: r.position,
      estimatedWaitSeconds:
        r.state === 'waiting' ? Math.ceil((r.position ?? 0) / rate) : r.state === 'admitted' ? 0 : null,
      admittedUntil: r.admitted_until?.toISOString() ?? null,
    }
  }

  /** Leave the room: a waiting ticket leaves the line, an admitted one frees its place. Idempotent. */
  async leave(ticket: string): Promise<void> {
    const { rows } = await this.db.query<{ show_id: string }>(
      `UPDATE queue_tickets SET state = 'left' WHERE id = $1 AND state <> 'left' RETURNING show_id::text`,
      [ticket],
    )
    if (rows[0]) await this.admit(rows[0].show_id)
    else if ((await this.db.query('SELECT 1 FROM queue_tickets WHERE id = $1', [ticket])).rowCount === 0)
      throw ticketNotFound(ticket)
  }

  /** Refuse a hold of a show unless `ticket` is admitted to its room and its session still runs. */
  async check(showId: string, ticket: string | undefined): Promise<void> {
    if (!this.enabled) return
    if (!ticket) throw queueRequired(showId)
    const { rows } = await this.db.query<{ show_id: string; state: string; ok: boolean }>(
      `SELECT show_id::text, state, coalesce(admitted_until > now(), false) AS ok FROM queue_tickets WHERE id = $1`,
      [ticket],
    )
    const r = rows[0]
    if (!r || r.show_id !== showId) throw queueRequired(showId)
    if (r.state === 'admitted' && r.ok) return
    if (r.state === 'waiting') throw notYet(ticket)
    throw queueRequired(showId)
  }

  /** Admit the first waiting tickets of a show while fewer than `capacity` are in (one process at a time). */
  private async admit(showId: string): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)', [ADMIT_LOCK, showId])
      await tx.query(
        `UPDATE queue_tickets SET state = 'admitted', admitted_at = now(),
                admitted_until = now() + make_interval(secs => $3)
          WHERE id IN (SELECT id FROM queue_tickets WHERE show_id = $1 AND state = 'waiting' ORDER BY seq
                        LIMIT greatest(0, $2 - (SELECT count(*) FROM queue_tickets WHERE show_id = $1
                                                  AND state = 'admitted' AND admitted_until > now())))`,
        [showId, this.capacity, this.sessionSeconds],
      )
    })
  }
}

const ticketNotFound = (ticket: string) =>
  new AppError('INVENTORY_TICKET_NOT_FOUND', 404, `waiting-room ticket ${ticket} does not exist`)

const queueRequired = (showId: string) =>
  new AppError(
    'INVENTORY_QUEUE_REQUIRED',
    429,
    `show ${showId} sells through its waiting room: take a ticket (POST /inventory/shows/${showId}/queue) and send it as the queue-ticket header once admitted`,
    { headers: { 'retry-after': '1' } },
  )

const notYet = (ticket: string) =>
  new AppError(
    'INVENTORY_QUEUE_WAITING',
    429,
    `ticket ${ticket} is still in line (GET /inventory/queue/${ticket})`,
    {
      headers: { 'retry-after': '1' },
    },
  )
