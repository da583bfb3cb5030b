/** Messages, their changes, reactions, history, replay and search in PostgreSQL. */
import type { Db } from '../../platform/db/port.js'
import { ChatError } from './errors.js'
import type { MessageEvent, RoomEvent, UpdateEvent } from './protocol.js'
import { appendEvent } from './rooms.store.js'

/** A message as history and search show it: its current state. */
export interface Message {
  room: number
  offset: number
  sender: string
  cid: string | null
  parent: number | null
  body: string
  at: string
  editedAt: string | null
  deleted: boolean
  reactions: Record<string, string[]>
  replies: number
}

export interface SearchHit {
  room: number
  offset: number
  sender: string
  at: string
  /** The matching fragments, HTML-escaped, matches wrapped in `<mark>`. */
  highlight: string
  rank: number
}

const MESSAGE_COLS = `m.room_id::float8 AS room, m."offset"::float8 AS offset, m.sender, m.client_id AS cid,
  m.parent::float8 AS parent, m.body, to_json(m.created_at) #>> '{}' AS at,
  to_json(m.edited_at) #>> '{}' AS "editedAt", m.deleted_at IS NOT NULL AS deleted,
  coalesce((SELECT jsonb_object_agg(emoji, users) FROM (
     SELECT emoji, jsonb_agg(user_name ORDER BY created_at) AS users FROM reactions x
     WHERE x.room_id = m.room_id AND x.message_offset = m."offset" GROUP BY emoji) e), '{}') AS reactions,
  (SELECT count(*)::int FROM messages t WHERE t.room_id = m.room_id AND t.parent = m."offset") AS replies`

/** Postgres errors raised by post_message(), mapped to the catalog. */
function mapPostError(err: unknown, room: number, parent: number | undefined): never {
  const code = (err as { code?: string }).code
  if (code === 'CH404') throw ChatError.roomNotFound(room)
  if (code === 'CH403') throw ChatError.notMember(room)
  if (code === 'CH422') throw ChatError.badParent(room, parent ?? 0)
  throw err
}

export interface PostResult {
  event: MessageEvent
  duplicate: boolean
}

/** One message of a batch. */
export interface PostItem {
  sender: string
  body: string
  cid?: string
  parent?: number
}

/** The queued messages of one room, in queue order. */
export interface RoomBatch {
  room: number
  items: PostItem[]
}

/** What post_batch() returns (see sql/0003_post_batch.sql); item keys are 1-based indexes. */
interface BatchOutcome {
  at: string
  offsets: (number | null)[]
  errors: Record<string, string>
  duplicates: Record<string, { offset: number; createdAt: string; parent: number | null }>
}

export class MessageStore {
  constructor(private readonly db: Db) {}

  /** Post a message (idempotent on `cid`): one round trip through post_message(). */
  async post(room: number, sender: string, body: string, cid?: string, parent?: number): Promise<PostResult> {
    let r: { duplicate: boolean; offset: number; createdAt: string; parent: number | null }
    try {
      const { rows } = await this.db.query<{ r: typeof r }>('SELECT post_message($1, $2, $3, $4, $5) AS r', [
        room,
        sender,
        cid ?? null,
        body,
        parent ?? null,
      ])
      r = rows[0]!.r
    } catch (err) {
      mapPostError(err, room, parent)
    }
    const event: MessageEvent = {
      v: 1,
      type: 'message',
      room,
      offset: r.offset,
      sender,
      cid: cid ?? null,
      parent: r.parent,
      body,
      at: r.createdAt,
    }
    return { event, duplicate: r.duplicate }
  }

  /**
   * Post the queued messages of several rooms in one round trip (post_batch(): one transaction,
   * set-based checks, one INSERT); each item succeeds or fails on its own. `rooms` must be in
   * ascending room id order (the order post_batch() locks them in). Results per room, per item.
   */
  async postBatch(rooms: RoomBatch[]): Promise<(PostResult | ChatError)[][]> {
    const ids: number[] = []
    const senders: string[] = []
    const cids: (string | null)[] = []
    const bodies: string[] = []
    const parents: (number | null)[] = []
    for (const { room, items } of rooms)
      for (const i of items) {
        ids.push(room)
        senders.push(i.sender)
        cids.push(i.cid ?? null)
        bodies.push(i.body)
        parents.push(i.parent ?? null)
      }
    const { rows } = await this.db.query<{ r: BatchOutcome }>(
      'SELECT post_batch($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS r',
      [ids, senders, cids, bodies, parents],
    )
    const { at, offsets, errors, duplicates } = rows[0]!.r
    const hidden = await this.hiddenRooms(ids, errors)
    let k = 0
    return rooms.map(({ room, items }) =>
      items.map((item) => {
        const key = String(++k)
        const offset = offsets[k - 1]
        const dup = offset == null ? duplicates[key] : undefined
        if (offset == null && !dup) {
          const code = errors[key]
          if (code === 'CH403')
            return hidden.has(room) ? ChatError.roomNotFound(room) : ChatError.notMember(room)
          if (code === 'CH404') return ChatError.roomNotFound(room)
          return ChatError.badParent(room, item.parent ?? 0)
        }
        const event: MessageEvent = {
          v: 1,
          type: 'message',
          room,
          offset: dup ? dup.offset : offset!,
          sender: item.sender,
          cid: item.cid ?? null,
          parent: dup ? dup.parent : (item.parent ?? null),
          body: item.body,
          at: dup ? dup.createdAt : at,
        }
        return { event, duplicate: dup !== undefined }
      }),
    )
  }

  /**
   * The rooms of a batch whose non-member senders must hear "not found" rather than "not a member":
   * private and direct rooms are invisible to non-members, so a refused send must not tell that
   * they exist (README, REST API). Only asked when an item was refused for membership.
   */
  private async hiddenRooms(ids: number[], errors: Record<string, string>): Promise<Set<number>> {
    const refused = new Set<number>()
    for (const [key, code] of Object.entries(errors)) if (code === 'CH403') refused.add(ids[Number(key) - 1]!)
    if (refused.size === 0) return refused
    const { rows } = await this.db.query<{ id: number }>(
      `SELECT id::float8 AS id FROM rooms WHERE id = ANY ($1::bigint[]) AND kind <> 'public'`,
      [[...refused]],
    )
    return new Set(rows.map((r) => r.id))
  }

  /** Edit the body of `sender`'s message; the previous body is kept in the edit event. */
  async edit(room: number, offset: number, user: string, body: string): Promise<UpdateEvent> {
    return this.db.tx(async (tx) => {
      await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room])
      const { rows } = await tx.query<{ sender: string; previous: string; deleted: boolean }>(
        `SELECT sender, body AS previous, deleted_at IS NOT NULL AS deleted FROM messages
         WHERE room_id = $1 AND "offset" = $2 FOR UPDATE`,
        [room, offset],
      )
      const m = rows[0]
      if (!m || m.deleted) throw ChatError.messageNotFound(room, offset)
      if (m.sender !== user) throw ChatError.forbidden('only the sender may edit a message')
      await tx.query(
        `UPDATE messages SET body = $3, edited_at = now() WHERE room_id = $1 AND "offset" = $2`,
        [room, offset, body],
      )
      return appendEvent(tx, room, 'edit', user, offset, { body, previous: m.previous })
    })
  }

  /** Delete a message (the sender, or the room's owner); the body moves into the delete event. */
  async delete(room: number, offset: number, user: string, isOwner: boolean): Promise<UpdateEvent> {
    return this.db.tx(async (tx) => {
      await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room])
      const { rows } = await tx.query<{ sender: string; previous: string; deleted: boolean }>(
        `SELECT sender, body AS previous, deleted_at IS NOT NULL AS deleted FROM messages
         WHERE room_id = $1 AND "offset" = $2 FOR UPDATE`,
        [room, offset],
      )
      const m = rows[0]
      if (!m || m.deleted) throw ChatError.messageNotFound(room, offset)
      if (m.sender !== user && !isOwner)
        throw ChatError.forbidden("only the sender or the room's owner may delete a message")
      await tx.query(
        `UPDATE messages SET body = '', deleted_at = now() WHERE room_id = $1 AND "offset" = $2`,
        [room, offset],
      )
      return appendEvent(tx, room, 'delete', user, offset, { previous: m.previous })
    })
  }

  /** Add or remove a reaction; undefined when nothing changed (already there, or not there). */
  async react(
    room: number,
    offset: number,
    user: string,
    emoji: string,
    remove: boolean,
  ): Promise<UpdateEvent | undefined> {
    return this.db.tx(async (tx) => {
      await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room])
      const exists = await tx.query(
        `SELECT 1 FROM messages WHERE room_id = $1 AND "offset" = $2 AND deleted_at IS NULL`,
        [room, offset],
      )
      if (exists.rows.length === 0) throw ChatError.messageNotFound(room, offset)
      const changed = remove
        ? await tx.query(
            'DELETE FROM reactions WHERE room_id = $1 AND message_offset = $2 AND user_name = $3 AND emoji = $4',
            [room, offset, user, emoji],
          )
        : await tx.query(
            `INSERT INTO reactions (room_id, message_offset, user_name, emoji) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING`,
            [room, offset, user, emoji],
          )
      if (changed.rowCount === 0) return undefined
      return appendEvent(tx, room, remove ? 'unreact' : 'react', user, offset, { emoji })
    })
  }

  /** One message's current state. */
  async get(room: number, offset: number): Promise<Message | undefined> {
    const { rows } = await this.db.query<Message>(
      `SELECT ${MESSAGE_COLS} FROM messages m WHERE m.room_id = $1 AND m."offset" = $2`,
      [room, offset],
    )
    return rows[0]
  }

  /** The edit and delete events of a message, oldest first. */
  async changes(room: number, offset: number): Promise<UpdateEvent[]> {
    const { rows } = await this.db.query<UpdateEvent>(
      `SELECT 1 AS v, 'update' AS type, room_id::float8 AS room, "offset"::float8 AS offset, kind,
         user_name AS user, target::float8 AS target, data, to_json(created_at) #>> '{}' AS at
       FROM room_events WHERE room_id = $1 AND target = $2 AND kind IN ('edit', 'delete') ORDER BY "offset"`,
      [room, offset],
    )
    return rows
  }

  /**
   * A page of messages in offset order. With `after`: the oldest messages after it;
   * otherwise the newest before `before` (or the head). `thread` keeps the replies to one message.
   */
  async history(
    room: number,
    q: { before?: number; after?: number; limit: number; thread?: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const ascending = q.after !== undefined
    const { rows } = await this.db.query<Message>(
      `SELECT ${MESSAGE_COLS} FROM messages m
       WHERE m.room_id = $1 AND ($2::bigint IS NULL OR m."offset" < $2) AND ($3::bigint IS NULL OR m."offset" > $3)
         AND ($4::bigint IS NULL OR m.parent = $4)
       ORDER BY m."offset" ${ascending ? 'ASC' : 'DESC'} LIMIT $5`,
      [room, q.before ?? null, q.after ?? null, q.thread ?? null, q.limit + 1],
    )
    const hasMore = rows.length > q.limit
    const page = rows.slice(0, q.limit)
    if (!ascending) page.reverse()
    return { messages: page, hasMore }
  }

  /** Room events with offsets in (after, upTo], in order: what a resuming client missed. */
  async replay(room: number, after: number, upTo: number, limit: number): Promise<RoomEvent[]> {
    const { rows } = await this.db.query<ReplayRow>(
      `SELECT * FROM (
         SELECT 1 AS v, 'message' AS type, room_id::float8 AS room, "offset"::float8 AS offset,
           NULL::text AS kind, sender AS "user", parent::float8 AS target, client_id AS cid, body,
           to_json(created_at) #>> '{}' AS at, to_json(edited_at) #>> '{}' AS "editedAt",
           deleted_at IS NOT NULL AS deleted, NULL::jsonb AS data
         FROM messages WHERE room_id = $1 AND "offset" > $2 AND "offset" <= $3
         UNION ALL
         SELECT 1, 'update', room_id::float8, "offset"::float8, kind, user_name, target::float8, NULL, NULL,
           to_json(created_at) #>> '{}', NULL, NULL, data
         FROM room_events WHERE room_id = $1 AND "offset" > $2 AND "offset" <= $3
       ) e ORDER BY e.offset LIMIT $4`,
      [room, after, upTo, limit],
    )
    return rows.map(toEvent)
  }

  /** Full-text search over the rooms `user` belongs to (or one readable room), best first. */
  async search(user: string, query: string, room: number | undefined, limit: number): Promise<SearchHit[]> {
    const { rows } = await this.db.query<SearchHit>(
      `SELECT m.room_id::float8 AS room, m."offset"::float8 AS offset, m.sender, to_json(m.created_at) #>> '{}' AS at,
         ts_headline('english',
           replace(replace(replace(m.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), q,
           'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=20, MinWords=5') AS highlight,
         ts_rank(m.tsv, q)::float8 AS rank
       FROM messages m, websearch_to_tsquery('english', $2) q
       WHERE m.tsv @@ q AND m.deleted_at IS NULL
         -- One room: the caller checked it is readable. All rooms: those the user belongs to.
         AND CASE WHEN $3::bigint IS NULL
           THEN m.room_id IN (SELECT room_id FROM members WHERE user_name = $1)
           ELSE m.room_id = $3 END
       ORDER BY rank DESC, m.created_at DESC LIMIT $4`,
      [user, query, room ?? null, limit],
    )
    return rows
  }
}

type ReplayRow = Record<string, unknown>

/** Shape a replay row as the live event it once was. */
function toEvent(r: ReplayRow): RoomEvent {
  if (r.type === 'message')
    return {
      v: 1,
      type: 'message',
      room: r.room as number,
      offset: r.offset as number,
      sender: r.user as string,
      cid: r.cid as string | null,
      parent: r.target as number | null,
      body: r.body as string,
      at: r.at as string,
      ...(r.editedAt ? { editedAt: r.editedAt as string } : {}),
      ...(r.deleted ? { deleted: true } : {}),
    }
  return {
    v: 1,
    type: 'update',
    room: r.room as number,
    offset: r.offset as number,
    kind: r.kind as UpdateEvent['kind'],
    user: r.user as string,
    target: r.target as number | null,
    data: r.data as Record<string, unknown>,
    at: r.at as string,
  }
}
