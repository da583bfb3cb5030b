/**
 * The event store: append to a board's stream at an expected version, read a stream, read the
 * whole log in commit order. The only code that touches the `events` table.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import { type BoardEvent, CURRENT, type DraftEvent, type EventType } from './types.js'
import { upcast } from './upcast.js'

/** The stream moved past the version the command read: someone else wrote first. */
export class VersionConflict extends Error {
  override name = 'VersionConflict'
  constructor(
    readonly board: string,
    readonly expected: number,
  ) {
    super(`board ${board} is no longer at version ${expected}`)
  }
}

interface EventRow {
  position: string
  board_id: string
  version: string
  type: EventType
  schema_version: number
  data: Record<string, unknown>
  actor: string
  at: Date | string
}

const COLUMNS = 'position, board_id, version, type, schema_version, data, actor, at'

/** A row of `events` as the current event shape (upcast). */
export function toEvent(r: EventRow): BoardEvent {
  return {
    board: r.board_id,
    version: Number(r.version),
    position: Number(r.position),
    type: r.type,
    data: upcast(r.type, r.schema_version, r.data),
    actor: r.actor,
    at: r.at instanceof Date ? r.at.toISOString() : new Date(r.at).toISOString(),
  } as BoardEvent
}

/** Unique violation of the stream's (board_id, version) key. */
function isVersionClash(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string }
  return (
    e.code === '23505' &&
    (e.constraint === 'events_stream_version' || !!e.message?.includes('events_stream_version'))
  )
}

export class EventStore {
  constructor(private readonly db: Db) {}

  /**
   * Append `drafts` to `board` after `expected` (its version when the command read it), in `tx`.
   * Throws VersionConflict when another writer got there first; the caller's transaction is then
   * rolled back whole (the unique key refused the row, nothing half-written).
   */
  async append(
    tx: Queryable,
    board: string,
    expected: number,
    actor: string,
    drafts: DraftEvent[],
  ): Promise<BoardEvent[]> {
    try {
      const { rows } = await tx.query<EventRow>(
        `INSERT INTO events (board_id, version, type, schema_version, data, actor)
         SELECT $1, $2::bigint + n, t, s, d, $3
           FROM unnest($4::text[], $5::int[], $6::jsonb[]) WITH ORDINALITY AS x(t, s, d, n)
         RETURNING ${COLUMNS}`,
        [
          board,
          expected,
          actor,
          drafts.map((d) => d.type),
          drafts.map((d) => CURRENT[d.type]),
          drafts.map((d) => JSON.stringify(d.data)),
        ],
      )
      return rows.map(toEvent).sort((a, b) => a.version - b.version)
    } catch (err) {
      if (isVersionClash(err)) throw new VersionConflict(board, expected)
      throw err
    }
  }

  /** Events of `board` after version `after`, up to `upTo`, at most `limit`, in version order. */
  async readStream(
    board: string,
    after = 0,
    upTo = Number.MAX_SAFE_INTEGER,
    limit = 10_000,
    q: Queryable = this.db,
  ): Promise<BoardEvent[]> {
    const { rows } = await q.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE board_id = $1 AND version > $2 AND version <= $3
        ORDER BY version LIMIT $4`,
      [board, after, upTo, limit],
    )
    return rows.map(toEvent)
  }

  /** The head version of each board that has events (absent: no such stream). */
  async heads(boards: string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ board_id: string; head: string }>(
      'SELECT board_id, max(version) AS head FROM events WHERE board_id = ANY($1::text[]) GROUP BY board_id',
      [boards],
    )
    return new Map(rows.map((r) => [r.board_id, Number(r.head)]))
  }
}

/** Where a reader of the whole log is: after the event of transaction `tx` at `position`. */
export interface LogCursor {
  tx: string
  position: number
}

/**
 * Events after `cursor` in commit order, from transactions older than every transaction still
 * running: none of those can still commit, so nothing is ever inserted behind the cursor (a
 * position sequence alone would let a slow transaction commit a lower position later).
 */
export async function readLog(
  q: Queryable,
  cursor: LogCursor,
  limit: number,
): Promise<(BoardEvent & { tx: string })[]> {
  const { rows } = await q.query<EventRow & { tx: string }>(
    `SELECT tx::text AS tx, ${COLUMNS} FROM events
      WHERE (tx, position) > ($1::xid8, $2::bigint)
        AND tx < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY tx, position LIMIT $3`,
    [cursor.tx, cursor.position, limit],
  )
  return rows.map((r) => ({ ...toEvent(r), tx: r.tx }))
}
