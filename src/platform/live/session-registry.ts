/**
 * The shared registry of SSE and long-poll sessions (an endpoint's `http_sessions` table, see
 * sql/0001_http_sessions.sql): which node holds each session's stream or poll queue, and where a
 * long-poll session's last answers left its streams.
 * Every node reads it when a request names a session it does not hold; `gen` makes a takeover
 * exclusive (a node that lost the session can no longer write its position).
 */
import type { Db } from '../db/port.js'

/** Stream token -> the last offset a position covers (the column is named `rooms`, after chat). */
export type Rooms = Record<string, number>

/** A long-poll position: the answer numbered `seq` left each stream at `rooms`. */
export interface PollPosition {
  seq: number
  rooms: Rooms
}

export interface SessionRow {
  id: string
  user: string
  kind: 'sse' | 'poll'
  protocol: number
  node: string
  gen: number
  last: PollPosition
  prev: PollPosition
}

interface Raw {
  id: string
  user_name: string
  kind: 'sse' | 'poll'
  protocol: number
  node: string
  gen: string | number
  seq: string | number
  rooms: Rooms | string
  prev_seq: string | number
  prev_rooms: Rooms | string
}

const json = (v: Rooms | string): Rooms => (typeof v === 'string' ? JSON.parse(v) : v)

function row(r: Raw): SessionRow {
  return {
    id: r.id,
    user: r.user_name,
    kind: r.kind,
    protocol: r.protocol,
    node: r.node,
    gen: Number(r.gen),
    last: { seq: Number(r.seq), rooms: json(r.rooms) },
    prev: { seq: Number(r.prev_seq), rooms: json(r.prev_rooms) },
  }
}

export class SessionRegistry {
  constructor(private readonly db: Db) {}

  /**
   * Record session `id` as held by `node` (a new session, or an SSE stream resumed here); returns
   * its generation. An id already held by another user is left alone (undefined).
   */
  async open(id: string, user: string, kind: 'sse' | 'poll', protocol: number, node: string) {
    const { rows } = await this.db.query<{ gen: string | number }>(
      `INSERT INTO http_sessions (id, user_name, kind, protocol, node) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET node = excluded.node, kind = excluded.kind,
         protocol = excluded.protocol, gen = http_sessions.gen + 1, last_seen = now()
         WHERE http_sessions.user_name = excluded.user_name
       RETURNING gen`,
      [id, user, kind, protocol, node],
    )
    return rows[0] ? Number(rows[0].gen) : undefined
  }

  /**
   * Session `id`, or undefined. A read only: POSTed frames and closes ask on every request, and the
   * session's polls (get) and the SSE sweep (touch) already keep its row from expiring.
   */
  async find(id: string): Promise<SessionRow | undefined> {
    const { rows } = await this.db.query<Raw>(`SELECT * FROM http_sessions WHERE id = $1`, [id])
    return rows[0] && row(rows[0])
  }

  /** Session `id` (and mark it seen: a poll keeps its session alive), or undefined. */
  async get(id: string): Promise<SessionRow | undefined> {
    const { rows } = await this.db.query<Raw>(
      `UPDATE http_sessions SET last_seen = now() WHERE id = $1 RETURNING *`,
      [id],
    )
    return rows[0] && row(rows[0])
  }

  /** Take session `id` over for `node` if it is still at generation `gen`; the new generation. */
  async claim(id: string, node: string, gen: number): Promise<number | undefined> {
    const { rows } = await this.db.query<{ gen: string | number }>(
      `UPDATE http_sessions SET node = $2, gen = gen + 1, last_seen = now()
        WHERE id = $1 AND gen = $3 RETURNING gen`,
      [id, node, gen],
    )
    return rows[0] ? Number(rows[0].gen) : undefined
  }

  /** Store a long-poll session's last two answers; false when another node took it over meanwhile. */
  async answered(id: string, gen: number, prev: PollPosition, last: PollPosition): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE http_sessions SET prev_seq = $3, prev_rooms = $4::jsonb, seq = $5, rooms = $6::jsonb,
         last_seen = now()
        WHERE id = $1 AND gen = $2 RETURNING 1`,
      [id, gen, prev.seq, JSON.stringify(prev.rooms), last.seq, JSON.stringify(last.rooms)],
    )
    return rows.length > 0
  }

  /** Mark the sessions `ids` (held by this node) seen, so the idle sweep keeps their rows. */
  async touch(ids: string[]): Promise<void> {
    if (ids.length > 0)
      await this.db.query(`UPDATE http_sessions SET last_seen = now() WHERE id = ANY($1::text[])`, [ids])
  }

  /** Forget session `id`, if still at generation `gen` (a node that lost it deletes nothing). */
  async remove(id: string, gen: number): Promise<void> {
    await this.db.query(`DELETE FROM http_sessions WHERE id = $1 AND gen = $2`, [id, gen])
  }

  /** Delete rows not seen for `idleMs` (sessions of a node that died, or abandoned). */
  async expire(idleMs: number): Promise<void> {
    await this.db.query(
      `DELETE FROM http_sessions WHERE last_seen < now() - make_interval(secs => $1::double precision / 1000)`,
      [idleMs],
    )
  }
}
