/** Rooms, members and read positions in PostgreSQL. */
import type { Db, Queryable } from '../../platform/db/port.js'
import { ChatError } from './errors.js'
import type { UpdateEvent } from './protocol.js'

export type RoomKind = 'public' | 'private' | 'direct'

export interface Room {
  id: number
  kind: RoomKind
  name: string
  topic: string
  createdBy: string
  /** The room's last offset (its head). */
  head: number
  createdAt: string
}

/** A room as one of its members sees it. */
export interface MyRoom extends Room {
  role: 'owner' | 'member'
  lastRead: number
}

export interface Member {
  user: string
  role: 'owner' | 'member'
  lastRead: number
  joinedAt: string
}

const ROOM_COLS = `r.id::float8 AS id, r.kind, r.name, r.topic, r.created_by AS "createdBy",
  r.last_offset::float8 AS head, to_json(r.created_at) #>> '{}' AS "createdAt"`

/** The `update` event of a member joining or leaving, appended in the caller's transaction. */
export async function appendEvent(
  tx: Queryable,
  room: number,
  kind: UpdateEvent['kind'],
  user: string,
  target: number | null,
  data: Record<string, unknown>,
): Promise<UpdateEvent> {
  const { rows } = await tx.query<{ offset: number; at: string }>(
    `SELECT append_event($1, $2, $3, $4, $5)::float8 AS offset, to_json(now()) #>> '{}' AS at`,
    [room, kind, user, target, JSON.stringify(data)],
  )
  const r = rows[0]!
  return { v: 1, type: 'update', room, offset: r.offset, kind, user, target, data, at: r.at }
}

export class RoomStore {
  constructor(private readonly db: Db) {}

  /** Record a token subject the first time it is seen. */
  async ensureUser(name: string): Promise<void> {
    await this.db.query('INSERT INTO users (name) VALUES ($1) ON CONFLICT DO NOTHING', [name])
  }

  async get(id: number): Promise<Room | undefined> {
    const { rows } = await this.db.query<Room>(`SELECT ${ROOM_COLS} FROM rooms r WHERE r.id = $1`, [id])
    return rows[0]
  }

  /** The heads of `ids` (rooms that no longer exist are absent). */
  async heads(ids: number[]): Promise<Map<number, number>> {
    const { rows } = await this.db.query<{ id: number; head: number }>(
      'SELECT id::float8 AS id, last_offset::float8 AS head FROM rooms WHERE id = ANY($1::bigint[])',
      [ids],
    )
    return new Map(rows.map((r) => [r.id, r.head]))
  }

  /** The member row of `user` in `room`, if any. */
  async membership(room: number, user: string): Promise<Member | undefined> {
    const { rows } = await this.db.query<Member>(
      `SELECT user_name AS user, role, last_read_offset::float8 AS "lastRead", to_json(joined_at) #>> '{}' AS "joinedAt"
       FROM members WHERE room_id = $1 AND user_name = $2`,
      [room, user],
    )
    return rows[0]
  }

  /** Rooms `user` belongs to, with their head and the user's read position. */
  async mine(user: string): Promise<MyRoom[]> {
    const { rows } = await this.db.query<MyRoom>(
      `SELECT ${ROOM_COLS}, m.role, m.last_read_offset::float8 AS "lastRead"
       FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.user_name = $1 ORDER BY r.id`,
      [user],
    )
    return rows
  }

  /** Public rooms, optionally filtered by a name prefix. */
  async listPublic(prefix: string | undefined, limit: number): Promise<Room[]> {
    const { rows } = await this.db.query<Room>(
      `SELECT ${ROOM_COLS} FROM rooms r WHERE r.kind = 'public'
       AND ($1::text IS NULL OR lower(r.name) LIKE lower($1) || '%') ORDER BY r.id LIMIT $2`,
      [prefix?.replace(/[\\%_]/g, '\\$&') ?? null, limit],
    )
    return rows
  }

  async members(room: number): Promise<Member[]> {
    const { rows } = await this.db.query<Member>(
      `SELECT user_name AS user, role, last_read_offset::float8 AS "lastRead", to_json(joined_at) #>> '{}' AS "joinedAt"
       FROM members WHERE room_id = $1 ORDER BY joined_at, user_name`,
      [room],
    )
    return rows
  }

  /** Create a room with its creator as owner; the join is the room's first event. */
  async create(
    kind: RoomKind,
    name: string,
    topic: string,
    creator: string,
    maxRooms: number,
    others: string[] = [],
    directKey: string | null = null,
  ): Promise<{ room: Room; events: UpdateEvent[] }> {
    return this.db.tx(async (tx) => {
      await assertRoomQuota(tx, creator, maxRooms)
      const { rows } = await tx.query<Room>(
        `INSERT INTO rooms AS r (kind, name, topic, created_by, direct_key) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${ROOM_COLS}`,
        [kind, name, topic, creator, directKey],
      )
      const room = rows[0]!
      const events: UpdateEvent[] = []
      await tx.query(`INSERT INTO members (room_id, user_name, role) VALUES ($1, $2, 'owner')`, [
        room.id,
        creator,
      ])
      events.push(await appendEvent(tx, room.id, 'join', creator, null, {}))
      for (const other of others) {
        await assertRoomQuota(tx, other, maxRooms)
        await tx.query('INSERT INTO members (room_id, user_name) VALUES ($1, $2)', [room.id, other])
        events.push(await appendEvent(tx, room.id, 'join', other, null, {}))
      }
      room.head = events.at(-1)!.offset
      return { room, events }
    })
  }

  /** The direct room of two users, if it exists. */
  async direct(key: string): Promise<Room | undefined> {
    const { rows } = await this.db.query<Room>(`SELECT ${ROOM_COLS} FROM rooms r WHERE r.direct_key = $1`, [
      key,
    ])
    return rows[0]
  }

  async update(id: number, patch: { name?: string; topic?: string }): Promise<Room | undefined> {
    const { rows } = await this.db.query<Room>(
      `UPDATE rooms r SET name = coalesce($2, name), topic = coalesce($3, topic) WHERE id = $1 RETURNING ${ROOM_COLS}`,
      [id, patch.name ?? null, patch.topic ?? null],
    )
    return rows[0]
  }

  /**
   * Delete a room with everything in it. The room row goes first: that takes the lock every post
   * holds, so a concurrent post either committed before (its messages are deleted next) or waits and
   * then finds no room. Members and events cascade; messages have no foreign key (sql/0004), so
   * they are deleted here, and their reactions cascade from them.
   */
  async delete(id: number): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const deleted = (await tx.query('DELETE FROM rooms WHERE id = $1', [id])).rowCount > 0
      if (deleted) await tx.query('DELETE FROM messages WHERE room_id = $1', [id])
      return deleted
    })
  }

  /** Add `user` to `room`; undefined when already a member. */
  async addMember(room: number, user: string, maxRooms: number): Promise<UpdateEvent | undefined> {
    return this.db.tx(async (tx) => {
      // Lock order everywhere: the room's counter row first.
      const locked = await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room])
      if (locked.rows.length === 0) throw ChatError.roomNotFound(room)
      await assertRoomQuota(tx, user, maxRooms)
      const ins = await tx.query(
        'INSERT INTO members (room_id, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [room, user],
      )
      if (ins.rowCount === 0) return undefined
      await tx.query('INSERT INTO users (name) VALUES ($1) ON CONFLICT DO NOTHING', [user])
      return appendEvent(tx, room, 'join', user, null, {})
    })
  }

  /** Remove `user` from `room`; undefined when not a member. */
  async removeMember(room: number, user: string, by: string): Promise<UpdateEvent | undefined> {
    return this.db.tx(async (tx) => {
      await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room])
      const del = await tx.query('DELETE FROM members WHERE room_id = $1 AND user_name = $2', [room, user])
      if (del.rowCount === 0) return undefined
      return appendEvent(tx, room, 'leave', user, null, by === user ? {} : { by })
    })
  }

  /** Move `user`'s read position forward to `offset` (never back); returns the position now stored. */
  async markRead(room: number, user: string, offset: number): Promise<number | undefined> {
    const { rows } = await this.db.query<{ lastRead: number }>(
      `UPDATE members m SET last_read_offset = GREATEST(m.last_read_offset, LEAST($3, r.last_offset))
       FROM rooms r WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_name = $2
       RETURNING m.last_read_offset::float8 AS "lastRead"`,
      [room, user, offset],
    )
    return rows[0]?.lastRead
  }
}

async function assertRoomQuota(tx: Queryable, user: string, max: number): Promise<void> {
  const { rows } = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM members WHERE user_name = $1',
    [user],
  )
  if (rows[0]!.n >= max) throw ChatError.tooManyRooms(max)
}
