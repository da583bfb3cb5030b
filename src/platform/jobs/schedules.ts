/**
 * Writing a cron schedule (the scheduler, scheduler.ts, enqueues its ticks):
 * by the jobs system's `PUT /jobs/schedules/{name}`, and at boot for the
 * schedules a system declares in `defineSystem({ jobs: { schedules } })`.
 */
import type { Queryable } from '../db/port.js'
import { nextTick } from './cron.js'
import { mapDbError } from './errors.js'

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

/**
 * Create or replace schedule `name`; returns its row and whether it was created. The next tick
 * is recomputed from now when the timing changes (cron, tz) or the schedule is new or was
 * disabled; an unchanged timing keeps its place, so editing a payload never skips or repeats a tick.
 */
export async function putSchedule<Row>(
  db: Queryable,
  name: string,
  s: ScheduleSpec,
): Promise<Row & { created: boolean }> {
  const next = nextTick(s.cron, s.tz, new Date())
  try {
    const { rows } = await db.query<Row & { created: boolean }>(
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
    return rows[0]!
  } catch (err) {
    return mapDbError(err, s.queue)
  }
}
