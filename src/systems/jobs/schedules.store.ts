/** Cron schedules: create or replace, read, list, delete. */
import type { Db } from '../../platform/db/port.js'
import { putSchedule, type ScheduleSpec } from '../../platform/jobs/schedules.js'

export type { ScheduleSpec }

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

  /** Create or replace (platform/jobs/schedules.ts: an unchanged timing keeps its next tick). */
  async put(name: string, s: ScheduleSpec): Promise<{ schedule: ScheduleView; created: boolean }> {
    const row = await putSchedule<Row>(this.db, name, s)
    return { schedule: toView(row), created: row.created }
  }

  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM schedules WHERE name = $1', [name])
    return rowCount > 0
  }
}
