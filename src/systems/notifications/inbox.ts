/**
 * The in-app inbox: messages per subscriber (unread, seen, read, archived) and the subscriber's
 * inbox stream, a platform/live stream kind (`notifications.inbox.<subscriberId>`). Every change
 * is an event in `inbox_events` with a dense offset taken under the subscriber row's lock (its
 * `inbox_offset` counter), written in the transaction of the change and published after commit:
 * a client that resumes from offset N gets every later change once, in order, on any node.
 */
import type { Db, Queryable } from '../../platform/db/port.js'
import type { LiveEvent, StreamKind, SystemLive } from '../../platform/live/index.js'
import { NotificationErrors } from './errors.js'

export interface InboxMessage {
  id: string
  transactionId: string
  workflowId: string
  subject: string | null
  body: string
  data: unknown
  createdAt: string
  seenAt: string | null
  readAt: string | null
  archivedAt: string | null
}

export interface InboxEvent extends LiveEvent {
  v: 1
  type: 'message' | 'seen' | 'read' | 'unread' | 'archived'
  subscriber: string
  offset: number
  message: InboxMessage
}

interface MessageRow {
  id: string
  transaction_id: string
  workflow_id: string
  subject: string | null
  body: string
  data: unknown
  created_at: Date
  seen_at: Date | null
  read_at: Date | null
  archived_at: Date | null
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)
const toMessage = (r: MessageRow): InboxMessage => ({
  id: r.id,
  transactionId: r.transaction_id,
  workflowId: r.workflow_id,
  subject: r.subject,
  body: r.body,
  data: r.data,
  createdAt: r.created_at.toISOString(),
  seenAt: iso(r.seen_at),
  readAt: iso(r.read_at),
  archivedAt: iso(r.archived_at),
})

export type Mark = 'seen' | 'read' | 'unread' | 'archived'

const MARK_SQL: Record<Mark, string> = {
  seen: 'seen_at = COALESCE(seen_at, now())',
  read: 'read_at = COALESCE(read_at, now()), seen_at = COALESCE(seen_at, now())',
  unread: 'read_at = NULL',
  archived: 'archived_at = COALESCE(archived_at, now()), read_at = COALESCE(read_at, now())',
}

export class Inbox {
  readonly kind: StreamKind<InboxEvent>

  constructor(
    private readonly db: Db,
    live: SystemLive,
    sweepMs: number,
  ) {
    this.kind = live.stream<InboxEvent>('inbox', {
      streamOf: (e) => e.subscriber,
      // A subscriber's token reads its own inbox; the admin token (user `*`) reads any.
      authorize: async (user, id) => {
        if (user !== id && user !== '*') throw NotificationErrors.subscriberNotFound(id)
        const { rows } = await db.query('SELECT 1 FROM subscribers WHERE id = $1', [id])
        if (rows.length === 0) throw NotificationErrors.subscriberNotFound(id)
      },
      history: {
        heads: async (ids) => {
          const { rows } = await db.query<{ id: string; head: number }>(
            'SELECT id, inbox_offset::float8 AS head FROM subscribers WHERE id = ANY($1::text[])',
            [ids],
          )
          return new Map(rows.map((r) => [r.id, r.head]))
        },
        read: async (id, after, upTo, limit) => {
          const { rows } = await db.query<{ offset: number; type: InboxEvent['type']; data: InboxMessage }>(
            `SELECT "offset"::float8 AS "offset", type, data FROM inbox_events
              WHERE subscriber_id = $1 AND "offset" > $2 AND "offset" <= $3 ORDER BY "offset" LIMIT $4`,
            [id, after, upTo, limit],
          )
          return rows.map((r) => ({ v: 1, type: r.type, subscriber: id, offset: r.offset, message: r.data }))
        },
      },
      sweepMs,
    })
  }

  /** Record `type` about `message` in the subscriber's stream (in `tx`, under the counter row's lock). */
  private async event(tx: Queryable, subscriber: string, type: InboxEvent['type'], message: InboxMessage) {
    const { rows } = await tx.query<{ head: number }>(
      'UPDATE subscribers SET inbox_offset = inbox_offset + 1 WHERE id = $1 RETURNING inbox_offset::float8 AS head',
      [subscriber],
    )
    const offset = rows[0]!.head
    await tx.query(
      `INSERT INTO inbox_events (subscriber_id, "offset", type, message_id, data) VALUES ($1, $2, $3, $4, $5)`,
      [subscriber, offset, type, message.id, JSON.stringify(message)],
    )
    return { v: 1, type, subscriber, offset, message } satisfies InboxEvent
  }

  /** Put a message in the inbox once (its id is the delivery's); undefined when it was already there. */
  async insert(
    tx: Queryable,
    m: {
      id: string
      subscriber: string
      transactionId: string
      workflowId: string
      subject: string | null
      body: string
      data: unknown
    },
  ): Promise<InboxEvent | undefined> {
    const { rows } = await tx.query<MessageRow>(
      `INSERT INTO inbox_messages (id, subscriber_id, transaction_id, workflow_id, subject, body, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING *`,
      [m.id, m.subscriber, m.transactionId, m.workflowId, m.subject, m.body, JSON.stringify(m.data ?? {})],
    )
    if (!rows[0]) return undefined
    return this.event(tx, m.subscriber, 'message', toMessage(rows[0]))
  }

  /** Publish committed events to live readers (after the commit, never inside it). */
  async publish(events: InboxEvent[]): Promise<void> {
    if (events.length > 0) await this.kind.publish(events)
  }

  async list(
    subscriber: string,
    o: { limit: number; before?: string; unread?: boolean; archived?: boolean },
  ): Promise<{ messages: InboxMessage[]; next: string | null }> {
    const params: unknown[] = [subscriber, o.limit + 1]
    const where = ['subscriber_id = $1', o.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL']
    if (o.unread) where.push('read_at IS NULL')
    if (o.before) {
      params.push(o.before)
      where.push(
        `(created_at, id) < (SELECT created_at, id FROM inbox_messages WHERE id = $${params.length} AND subscriber_id = $1)`,
      )
    }
    const { rows } = await this.db.query<MessageRow>(
      `SELECT * FROM inbox_messages WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    )
    const more = rows.length > o.limit
    const page = rows.slice(0, o.limit).map(toMessage)
    return { messages: page, next: more ? page[page.length - 1]!.id : null }
  }

  async counts(subscriber: string): Promise<{ unread: number; unseen: number; total: number }> {
    const { rows } = await this.db.query<{ unread: number; unseen: number; total: number }>(
      `SELECT count(*) FILTER (WHERE read_at IS NULL)::int AS unread,
              count(*) FILTER (WHERE seen_at IS NULL)::int AS unseen, count(*)::int AS total
         FROM inbox_messages WHERE subscriber_id = $1 AND archived_at IS NULL`,
      [subscriber],
    )
    return rows[0]!
  }

  /** Mark messages (all unread ones when `ids` is undefined); each change is one event. */
  async mark(subscriber: string, mark: Mark, ids: string[] | undefined): Promise<InboxMessage[]> {
    const events = await this.db.tx(async (tx) => {
      const { rows } = await tx.query<MessageRow>(
        `UPDATE inbox_messages SET ${MARK_SQL[mark]}
          WHERE subscriber_id = $1 AND ($2::text[] IS NULL OR id = ANY($2::text[]))
            AND ${mark === 'unread' ? 'read_at IS NOT NULL' : mark === 'seen' ? 'seen_at IS NULL' : mark === 'read' ? 'read_at IS NULL' : 'archived_at IS NULL'}
          RETURNING *`,
        [subscriber, ids ?? null],
      )
      if (ids && ids.length === 1 && rows.length === 0) {
        const { rows: exists } = await tx.query(
          'SELECT 1 FROM inbox_messages WHERE id = $1 AND subscriber_id = $2',
          [ids[0], subscriber],
        )
        if (exists.length === 0) throw NotificationErrors.messageNotFound(ids[0]!)
      }
      const out: InboxEvent[] = []
      for (const r of rows.sort((a, b) => a.id.localeCompare(b.id)))
        out.push(await this.event(tx, subscriber, mark, toMessage(r)))
      return out
    })
    await this.publish(events)
    return events.map((e) => e.message)
  }
}
