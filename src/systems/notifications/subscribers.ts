/**
 * Subscribers (the people notified, with their channel addresses, time zone and quiet hours),
 * their preferences and push subscriptions, and topics (named groups a trigger fans out to).
 * Plain SQL over the system's schema.
 */
import { randomBytes } from 'node:crypto'
import type { Queryable } from '../../platform/db/port.js'
import { NotificationErrors } from './errors.js'
import type { PreferenceRow } from './preferences.js'

export interface SubscriberInput {
  email?: string | null
  phone?: string | null
  webhookUrl?: string | null
  timezone?: string
  quietHours?: { start: string; end: string } | null
  data?: Record<string, unknown>
}

export interface Subscriber {
  id: string
  email: string | null
  phone: string | null
  webhookUrl: string | null
  timezone: string
  quietHours: { start: string; end: string } | null
  data: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export interface SubscriberRow {
  id: string
  email: string | null
  phone: string | null
  webhook_url: string | null
  webhook_secret: string
  timezone: string
  quiet_start: number | null
  quiet_end: number | null
  data: Record<string, unknown>
  created_at: Date
  updated_at: Date
}

export interface PushSubscription {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
/** `HH:MM` -> minutes of the day. */
export const minutesOf = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5))

export const toSubscriber = (r: SubscriberRow): Subscriber => ({
  id: r.id,
  email: r.email,
  phone: r.phone,
  webhookUrl: r.webhook_url,
  timezone: r.timezone,
  quietHours:
    r.quiet_start === null || r.quiet_end === null
      ? null
      : { start: hhmm(r.quiet_start), end: hhmm(r.quiet_end) },
  data: r.data,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`

export class SubscriberStore {
  constructor(private readonly db: Queryable) {}

  /** Create or update; fields left out keep their value. Returns the row and whether it is new. */
  async put(id: string, s: SubscriberInput): Promise<{ row: SubscriberRow; created: boolean }> {
    const quiet = s.quietHours === undefined ? undefined : s.quietHours
    const { rows } = await this.db.query<SubscriberRow & { created: boolean }>(
      `INSERT INTO subscribers (id, email, phone, webhook_url, webhook_secret, timezone, quiet_start, quiet_end, data)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6::text, 'UTC'), $7, $8, COALESCE($9::jsonb, '{}'))
       ON CONFLICT (id) DO UPDATE SET
         email = CASE WHEN $10::boolean THEN EXCLUDED.email ELSE subscribers.email END,
         phone = CASE WHEN $11::boolean THEN EXCLUDED.phone ELSE subscribers.phone END,
         webhook_url = CASE WHEN $12::boolean THEN EXCLUDED.webhook_url ELSE subscribers.webhook_url END,
         timezone = COALESCE($6::text, subscribers.timezone),
         quiet_start = CASE WHEN $13::boolean THEN EXCLUDED.quiet_start ELSE subscribers.quiet_start END,
         quiet_end = CASE WHEN $13::boolean THEN EXCLUDED.quiet_end ELSE subscribers.quiet_end END,
         data = COALESCE($9::jsonb, subscribers.data),
         updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [
        id,
        s.email ?? null,
        s.phone ?? null,
        s.webhookUrl ?? null,
        newSecret(),
        s.timezone ?? null,
        quiet ? minutesOf(quiet.start) : null,
        quiet ? minutesOf(quiet.end) : null,
        s.data === undefined ? null : JSON.stringify(s.data),
        s.email !== undefined,
        s.phone !== undefined,
        s.webhookUrl !== undefined,
        quiet !== undefined,
      ],
    )
    const { created, ...row } = rows[0]!
    return { row, created }
  }

  async get(db: Queryable, id: string): Promise<SubscriberRow | undefined> {
    const { rows } = await db.query<SubscriberRow>('SELECT * FROM subscribers WHERE id = $1', [id])
    return rows[0]
  }

  async require(id: string): Promise<SubscriberRow> {
    const row = await this.get(this.db, id)
    if (!row) throw NotificationErrors.subscriberNotFound(id)
    return row
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM subscribers WHERE id = $1', [id])
    return rowCount > 0
  }

  /** Which of `ids` do not exist. */
  async missing(db: Queryable, ids: readonly string[]): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      'SELECT i AS id FROM unnest($1::text[]) AS i WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = i)',
      [ids],
    )
    return rows.map((r) => r.id)
  }

  async preferences(db: Queryable, id: string): Promise<PreferenceRow[]> {
    const { rows } = await db.query<PreferenceRow>(
      'SELECT workflow_id AS "workflowId", channel, enabled FROM preferences WHERE subscriber_id = $1',
      [id],
    )
    return rows
  }

  /** Set (or with `enabled: null`, clear) choices; all in one transaction. */
  async setPreferences(
    id: string,
    items: readonly { workflowId: string; channel: string; enabled: boolean | null }[],
  ): Promise<void> {
    for (const p of items) {
      if (p.enabled === null)
        await this.db.query(
          'DELETE FROM preferences WHERE subscriber_id = $1 AND workflow_id = $2 AND channel = $3',
          [id, p.workflowId, p.channel],
        )
      else
        await this.db.query(
          `INSERT INTO preferences (subscriber_id, workflow_id, channel, enabled) VALUES ($1, $2, $3, $4)
           ON CONFLICT (subscriber_id, workflow_id, channel) DO UPDATE SET enabled = EXCLUDED.enabled`,
          [id, p.workflowId, p.channel, p.enabled],
        )
    }
  }

  async addPush(id: string, s: PushSubscription): Promise<void> {
    await this.db.query(
      `INSERT INTO push_subscriptions (subscriber_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subscriber_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth`,
      [id, s.endpoint, s.keys.p256dh, s.keys.auth],
    )
  }

  async pushSubscriptions(db: Queryable, id: string): Promise<PushSubscription[]> {
    const { rows } = await db.query<{ endpoint: string; p256dh: string; auth: string }>(
      'SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE subscriber_id = $1 ORDER BY created_at',
      [id],
    )
    return rows.map((r) => ({ endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } }))
  }

  async removePush(id: string, endpoint: string): Promise<void> {
    await this.db.query('DELETE FROM push_subscriptions WHERE subscriber_id = $1 AND endpoint = $2', [
      id,
      endpoint,
    ])
  }
}

/** Topics: named sets of subscribers; a trigger to a topic reaches its members at that moment. */
export class TopicStore {
  constructor(private readonly db: Queryable) {}

  async put(key: string, name: string | null): Promise<boolean> {
    const { rows } = await this.db.query<{ created: boolean }>(
      `INSERT INTO topics (key, name) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET name = COALESCE(EXCLUDED.name, topics.name) RETURNING (xmax = 0) AS created`,
      [key, name],
    )
    return rows[0]!.created
  }

  async exists(db: Queryable, key: string): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM topics WHERE key = $1', [key])
    return rows.length > 0
  }

  /** Add subscribers (which must exist) to a topic; returns how many were new members. */
  async add(key: string, ids: readonly string[]): Promise<number> {
    if (!(await this.exists(this.db, key))) throw NotificationErrors.topicNotFound(key)
    const { rowCount } = await this.db.query(
      `INSERT INTO topic_subscribers (topic, subscriber_id)
       SELECT $1, s.id FROM subscribers s WHERE s.id = ANY($2::text[]) ON CONFLICT DO NOTHING`,
      [key, ids],
    )
    return rowCount
  }

  async remove(key: string, ids: readonly string[]): Promise<number> {
    const { rowCount } = await this.db.query(
      'DELETE FROM topic_subscribers WHERE topic = $1 AND subscriber_id = ANY($2::text[])',
      [key, ids],
    )
    return rowCount
  }

  /** Members of a topic, at most `limit` (+1 tells the caller there are more). */
  async members(db: Queryable, key: string, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      'SELECT subscriber_id AS id FROM topic_subscribers WHERE topic = $1 ORDER BY subscriber_id LIMIT $2',
      [key, limit],
    )
    return rows.map((r) => r.id)
  }

  async delete(key: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM topics WHERE key = $1', [key])
    return rowCount > 0
  }
}
