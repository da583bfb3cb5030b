/** Cron schedules: create or replace, read, list, delete. */
import type { Db } from '../../platform/db/port.js'
import { nextTick } from '../../platform/jobs/cron.js'
import { mapDbError } from '../../platform/jobs/errors.js'

export interface ScheduleSpec {
  queue: string
  task: string
  payload: unknown
  cron: string
  tz: string
  catchUp: 'all' | 'latest' | 'none'
  priority: number
  maxAttempts: number
  enabled: boolean
}

export interface ScheduleView extends ScheduleSpec {
  name: string
  nextTick: string
  lastTick: string | null
  createdAt: string
  updatedAt: string
}

interface Row {
  name: string
  queue: string
  task: string
  payload: unknown
  cron: string
  tz: string
  catch_up: 'all' | 'latest' | 'none'
  priority: number
  max_attempts: number
  enabled: boolean
  next_tick: Date
  last_tick: Date | null
  created_at: Date
  updated_at: Date
}

function toView(r: Row): ScheduleView {
  return {
    name: r.name,
    queue: r.queue,
    task: r.task,
    payload: r.payload,
    cron: r.cron,
    tz: r.tz,
    catchUp: r.catch_up,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    enabled: r.enabled,
    nextTick: r.next_tick.toISOString(),
    lastTick: r.last_tick?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }
}

export class SchedulesStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<ScheduleView[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM schedules ORDER BY name')
    return rows.map(toView)
  }

  async get(name: string): Promise<ScheduleView | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM schedules WHERE name = $1', [name])
    return rows[0] && toView(rows[0])
  }

  /**
   * Create or replace. The next tick is recomputed from now when the timing
   * changes (cron, tz) or the schedule is new; an unchanged timing keeps its
   * place, so editing a payload never skips or repeats a tick.
   */
  async put(name: string, s: ScheduleSpec): Promise<{ schedule: ScheduleView; created: boolean }> {
    const next = nextTick(s.cron, s.tz, new Date())
    try {
      const { rows } = await this.db.query<Row & { created: boolean }>(
        `INSERT INTO schedules AS s (name, queue, task, payload, cron, tz, catch_up, priority, max_attempts, enabled, next_tick)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (name) DO UPDATE SET queue = EXCLUDED.queue, task = EXCLUDED.task, payload = EXCLUDED.payload,
           catch_up = EXCLUDED.catch_up, priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts,
           enabled = EXCLUDED.enabled, updated_at = now(),
           next_tick = CASE WHEN s.cron = EXCLUDED.cron AND s.tz = EXCLUDED.tz AND s.enabled
                            THEN s.next_tick ELSE EXCLUDED.next_tick END,
           cron = EXCLUDED.cron, tz = EXCLUDED.tz
         RETURNING s.*, (s.xmax = 0) AS created`,
        [
          name,
          s.queue,
          s.task,
          JSON.stringify(s.payload ?? {}),
          s.cron.trim(),
          s.tz,
          s.catchUp,
          s.priority,
          s.maxAttempts,
          s.enabled,
          next,
        ],
      )
      return { schedule: toView(rows[0]!), created: rows[0]!.created }
    } catch (err) {
      return mapDbError(err, s.queue)
    }
  }

  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM schedules WHERE name = $1', [name])
    return rowCount > 0
  }
}
