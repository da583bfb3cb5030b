/**
 * Queues: their settings (concurrency per process and across processes, rate limits, the defaults of
 * their jobs' attempts, backoff and retention, a dead-letter queue), pause and resume.
 */
import type { Db } from '../../platform/db/port.js'

export interface QueueSettings {
  concurrency: number | null
  rateLimit: number | null
  ratePeriodMs: number | null
  groupRateLimit: number | null
  groupRatePeriodMs: number | null
  globalConcurrency: number | null
  maxAttempts: number | null
  backoffBaseMs: number | null
  backoffMaxMs: number | null
  retentionMs: number | null
  deadRetentionMs: number | null
  deadLetter: string | null
  /** Run by external workers over HTTP only (pull.ts). */
  pull: boolean
}

export interface QueueView extends QueueSettings {
  name: string
  paused: boolean
  /** The system that declared the queue (platform/jobs, sql/0009); null: made through this API or SQL. */
  system: string | null
  createdAt: string
}

interface Row {
  name: string
  paused: boolean
  concurrency: number | null
  rate_limit: number | null
  rate_period_ms: number | null
  group_rate_limit: number | null
  group_rate_period_ms: number | null
  global_concurrency: number | null
  max_attempts: number | null
  backoff_base_ms: number | null
  backoff_max_ms: number | null
  retention_ms: string | null
  dead_retention_ms: string | null
  dead_letter: string | null
  pull: boolean
  system: string | null
  created_at: Date
}

function toView(r: Row): QueueView {
  return {
    name: r.name,
    paused: r.paused,
    system: r.system,
    concurrency: r.concurrency,
    rateLimit: r.rate_limit,
    ratePeriodMs: r.rate_period_ms,
    groupRateLimit: r.group_rate_limit,
    groupRatePeriodMs: r.group_rate_period_ms,
    globalConcurrency: r.global_concurrency,
    maxAttempts: r.max_attempts,
    backoffBaseMs: r.backoff_base_ms,
    backoffMaxMs: r.backoff_max_ms,
    // bigint columns arrive as text; the values fit a double (at most a year in ms).
    retentionMs: r.retention_ms === null ? null : Number(r.retention_ms),
    deadRetentionMs: r.dead_retention_ms === null ? null : Number(r.dead_retention_ms),
    deadLetter: r.dead_letter,
    pull: r.pull,
    createdAt: r.created_at.toISOString(),
  }
}

export class QueuesStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<QueueView[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM queues ORDER BY name')
    return rows.map(toView)
  }

  async get(name: string): Promise<QueueView | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM queues WHERE name = $1', [name])
    return rows[0] && toView(rows[0])
  }

  /** Create or update a queue; returns it and whether it was created. */
  async upsert(name: string, s: QueueSettings): Promise<{ queue: QueueView; created: boolean }> {
    const { rows } = await this.db.query<Row & { created: boolean }>(
      `INSERT INTO queues AS q (name, concurrency, rate_limit, rate_period_ms, group_rate_limit, group_rate_period_ms,
                                global_concurrency, max_attempts, backoff_base_ms, backoff_max_ms, retention_ms,
                                dead_retention_ms, dead_letter, pull)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (name) DO UPDATE SET concurrency = EXCLUDED.concurrency, rate_limit = EXCLUDED.rate_limit,
         rate_period_ms = EXCLUDED.rate_period_ms, group_rate_limit = EXCLUDED.group_rate_limit,
         group_rate_period_ms = EXCLUDED.group_rate_period_ms, global_concurrency = EXCLUDED.global_concurrency,
         max_attempts = EXCLUDED.max_attempts, backoff_base_ms = EXCLUDED.backoff_base_ms,
         backoff_max_ms = EXCLUDED.backoff_max_ms, retention_ms = EXCLUDED.retention_ms,
         dead_retention_ms = EXCLUDED.dead_retention_ms, dead_letter = EXCLUDED.dead_letter, pull = EXCLUDED.pull
       RETURNING q.*, (q.xmax = 0) AS created`,
      [
        name,
        s.concurrency,
        s.rateLimit,
        s.ratePeriodMs,
        s.groupRateLimit,
        s.groupRatePeriodMs,
        s.globalConcurrency,
        s.maxAttempts,
        s.backoffBaseMs,
        s.backoffMaxMs,
        s.retentionMs,
        s.deadRetentionMs,
        s.deadLetter,
        s.pull,
      ],
    )
    // "!queue": workers re-read the queue's settings, then fetch.
    await this.db.query('SELECT pg_notify($1, $2)', [`${this.db.schema}_jobs`, `!${name}`])
    return { queue: toView(rows[0]!), created: rows[0]!.created }
  }

  /** Pause or resume; returns the queue, or undefined when it does not exist. */
  async setPaused(name: string, paused: boolean): Promise<QueueView | undefined> {
    const { rows } = await this.db.query<Row>('UPDATE queues SET paused = $2 WHERE name = $1 RETURNING *', [
      name,
      paused,
    ])
    if (rows[0]) await this.db.query('SELECT pg_notify($1, $2)', [`${this.db.schema}_jobs`, `!${name}`])
    return rows[0] && toView(rows[0])
  }
}
