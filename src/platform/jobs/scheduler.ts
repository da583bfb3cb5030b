/**
 * The cron scheduler. Every process may run one; each tick is enqueued
 * exactly once however many do: a scheduler takes due schedules with
 * `FOR UPDATE SKIP LOCKED`, enqueues their due ticks and advances
 * `next_tick` in the same transaction, and each job carries its
 * (schedule, tick), which a unique index makes impossible to insert twice.
 *
 * Catch-up after downtime: ticks later than JOBS_CRON_GRACE_MS are missed;
 * a schedule's policy enqueues `all` of them (the latest
 * JOBS_CRON_MAX_CATCH_UP), the `latest` one, or `none`. Ticks within the
 * grace are always enqueued.
 */
import type { Db, Queryable } from '../db/port.js'
import type { Worker } from '../system.js'
import type { Logger } from '../telemetry/logger.js'
import { latestTicks, nextTick, ticksBetween } from './cron.js'

export interface SchedulerOptions {
  db: Db
  log: Logger
  graceMs: number
  maxCatchUp: number
  /** How often due schedules are looked for (default 1000 ms: cron's finest unit is the second). */
  intervalMs?: number
}

interface DueRow {
  name: string
  queue: string
  task: string
  payload: unknown
  cron: string
  tz: string
  catch_up: 'all' | 'latest' | 'none'
  priority: number
  max_attempts: number
  next_tick: Date
}

/** The ticks of one schedule to enqueue now, given its policy. */
export function dueTicks(row: DueRow, now: Date, graceMs: number, maxCatchUp: number): Date[] {
  const graceStart = new Date(now.getTime() - graceMs)
  const onTimeFrom = row.next_tick > graceStart ? row.next_tick : graceStart
  const onTime = ticksBetween(row.cron, row.tz, onTimeFrom, now, 10_000)
  if (row.next_tick >= graceStart || row.catch_up === 'none') return onTime
  const missedTo = new Date(graceStart.getTime() - 1)
  const missed = latestTicks(
    row.cron,
    row.tz,
    row.next_tick,
    missedTo,
    row.catch_up === 'all' ? maxCatchUp : 1,
  )
  return [...missed, ...onTime]
}

export class CronScheduler implements Worker {
  readonly name = 'jobs:scheduler'
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false
  /** Ticks this scheduler enqueued (tests compare them across schedulers). */
  enqueued = 0

  constructor(private readonly o: SchedulerOptions) {}

  async start(): Promise<void> {
    this.stopped = false
    this.schedule()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  private schedule(): void {
    if (this.stopped) return
    const interval = this.o.intervalMs ?? 1000
    // Just after the next whole interval: ticks fall on whole seconds.
    const delay = interval - (Date.now() % interval) + 5
    this.timer = setTimeout(this.onTimer, delay)
    this.timer.unref()
  }

  private readonly onTimer = (): void => {
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((err) => this.o.log.warn({ err }, 'jobs scheduler: run failed; retrying'))
      .finally(() => {
        this.running = undefined
        this.schedule()
      })
  }

  /** Enqueue every due tick of every due schedule; returns the number enqueued. */
  async runOnce(): Promise<number> {
    let total = 0
    for (let round = 0; round < 100; round++) {
      const n = await this.o.db.tx((tx) => this.batch(tx))
      if (n < 0) break
      total += n
    }
    this.enqueued += total
    return total
  }

  /** One transaction: up to 50 due schedules. Returns -1 when none was due. */
  private async batch(tx: Queryable): Promise<number> {
    const { rows } = await tx.query<DueRow & { now: Date }>(
      `SELECT name, queue, task, payload, cron, tz, catch_up, priority, max_attempts, next_tick, now() AS now
         FROM schedules WHERE enabled AND next_tick <= now()
        ORDER BY next_tick LIMIT 50 FOR UPDATE SKIP LOCKED`,
    )
    if (rows.length === 0) return -1
    let n = 0
    for (const row of rows) {
      const now = row.now
      const ticks = dueTicks(row, now, this.o.graceMs, this.o.maxCatchUp)
      if (ticks.length > 0) {
        // Each tick once: the unique index on (schedule, tick) holds among pending jobs (jobs_open, where
        // they are inserted); a tick whose job completed has moved to jobs_done, out of its reach, so no
        // tick at or before the schedule's last_tick (this transaction holds its row) is enqueued again.
        const res = await tx.query(
          `INSERT INTO jobs_open (queue, task, payload, priority, max_attempts, schedule, tick, run_at)
           SELECT $1, $2, $3::jsonb, $4, $5, $6, t, t FROM unnest($7::timestamptz[]) AS t
            WHERE t > coalesce((SELECT s.last_tick FROM schedules s WHERE s.name = $6), '-infinity')
           ON CONFLICT (schedule, tick) WHERE schedule IS NOT NULL DO NOTHING`,
          [
            row.queue,
            row.task,
            JSON.stringify(row.payload ?? {}),
            row.priority,
            row.max_attempts,
            row.name,
            ticks,
          ],
        )
        n += res.rowCount
        if (res.rowCount > 0)
          await tx.query('SELECT pg_notify($1, $2)', [`${this.o.db.schema}_jobs`, row.queue])
      }
      await tx.query(
        'UPDATE schedules SET next_tick = $2, last_tick = coalesce($3, last_tick) WHERE name = $1',
        [row.name, nextTick(row.cron, row.tz, now), ticks.at(-1) ?? null],
      )
    }
    return n
  }
}
