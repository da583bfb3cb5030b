/**
 * Housekeeping every process runs (safe in any number of processes, SKIP
 * LOCKED throughout):
 * - the stalled-job sweep: an active job whose lease expired belonged to a
 *   worker that died or hung; it becomes `failed` (retried at once) or
 *   `dead` (no attempt left), and the stall is counted and recorded as the
 *   attempt's error;
 * - pruning: completed and cancelled jobs after their queue's retention or
 *   JOBS_RETENTION_MS, dead ones after their queue's dead retention or
 *   JOBS_DEAD_RETENTION_MS, Idempotency-Keys after 24 hours; a job that dies
 *   in the sweep is copied to its queue's dead-letter queue (sql/0003);
 * - vacuuming the jobs table once JOBS_VACUUM_DEAD_ROWS dead rows pile up
 *   (vacuum.ts: why a queue cannot wait for autovacuum).
 * Each runs on its own timer and guard, so a long VACUUM never delays a sweep.
 */
import type { Db } from '../db/port.js'
import type { Worker } from '../system.js'
import type { Logger } from '../telemetry/logger.js'
import type { JobMetrics } from './metrics.js'
import { vacuumIfBloated } from './vacuum.js'
import { deadLetter, propagateFailure } from './worker.store.js'

export interface MaintenanceOptions {
  db: Db
  log: Logger
  metrics: JobMetrics
  leaseMs: number
  retentionMs: number
  deadRetentionMs: number
  /** Sweep period (default leaseMs / 2, between 50 ms and 5 s). */
  sweepMs?: number
  pruneMs?: number
  /** Dead rows that trigger a VACUUM of the jobs table (0: never; default 10,000). */
  vacuumDeadRows?: number
  /** How often the dead rows are checked (default 5 s). */
  vacuumMs?: number
}

const SWEEP = `
WITH stalled AS (
  SELECT id, locked_by FROM jobs
   WHERE state = 'active' AND locked_until < now()
   ORDER BY locked_until LIMIT 1000
   FOR UPDATE SKIP LOCKED
), upd AS (
  UPDATE jobs j
     SET state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'failed' END,
         stalls = j.stalls + 1, run_at = now(), locked_by = NULL, locked_until = NULL,
         last_error = 'StalledError: the lease expired; worker ' || coalesce(s.locked_by, '?') ||
                      ' stopped renewing it (process died or hung)',
         finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END
    FROM stalled s
   WHERE j.id = s.id
  RETURNING j.id, j.attempts, j.state, j.has_children, j.queue, j.started_at, s.locked_by AS worker, j.last_error
), errs AS (
  INSERT INTO job_errors (job_id, attempt, worker, error, started_at)
  SELECT id, attempts, worker, last_error, started_at FROM upd
)
SELECT id::text AS id, state, has_children,
       (state = 'dead' AND EXISTS (SELECT 1 FROM queues q WHERE q.name = upd.queue AND q.dead_letter IS NOT NULL))
         AS dead_letter,
       (SELECT count(pg_notify($1, q)) FROM (SELECT DISTINCT queue AS q FROM upd) w) AS woken
  FROM upd`

/**
 * Delete finished jobs of `states` older than their queue's retention (`column` of queues, sql/0003),
 * else the process's ($1). The first bound, the shortest retention of any queue, lets the
 * finished_at indexes skip the young jobs; the second is each job's own queue's. The jobs' dependency
 * and error rows go with them (sql/0010: no foreign key cascades any more).
 */
const PRUNE = (column: string, states: string) => `
WITH gone AS (
  DELETE FROM jobs WHERE id IN (
    SELECT j.id FROM jobs j LEFT JOIN queues q ON q.name = j.queue
     WHERE j.state IN ${states}
       AND j.finished_at < now() - least($1, (SELECT min(${column}) FROM queues)) * interval '1 millisecond'
       AND j.finished_at < now() - coalesce(q.${column}, $1) * interval '1 millisecond'
     LIMIT 10000)
  RETURNING id
), errors AS (
  DELETE FROM job_errors WHERE job_id IN (SELECT id FROM gone)
), parents AS (
  DELETE FROM job_deps WHERE parent_id IN (SELECT id FROM gone)
), children AS (
  DELETE FROM job_deps WHERE child_id IN (SELECT id FROM gone)
)
SELECT count(*)::int AS n FROM gone`

const DEFAULT_VACUUM_DEAD_ROWS = 10_000

export class Maintenance implements Worker {
  readonly name = 'jobs:maintenance'
  private readonly timers: NodeJS.Timeout[] = []
  private readonly busy = new Map<string, Promise<unknown>>()
  private readonly channel: string

  constructor(private readonly o: MaintenanceOptions) {
    this.channel = `${o.db.schema}_jobs`
  }

  async start(): Promise<void> {
    const sweepMs = this.o.sweepMs ?? Math.min(Math.max(Math.floor(this.o.leaseMs / 2), 50), 5_000)
    this.every('sweep', sweepMs, () => this.sweep())
    this.every('prune', this.o.pruneMs ?? 10_000, () => this.prune())
    if ((this.o.vacuumDeadRows ?? DEFAULT_VACUUM_DEAD_ROWS) > 0)
      this.every('vacuum', this.o.vacuumMs ?? 5_000, () => this.vacuum())
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    await Promise.all(this.busy.values())
  }

  /** Run `fn` every `ms`, skipping a turn while its previous run is still going. */
  private every(task: string, ms: number, fn: () => Promise<unknown>): void {
    const t = setInterval(() => {
      if (this.busy.has(task)) return
      this.busy.set(
        task,
        fn()
          .catch((err) => this.o.log.warn({ err, task }, 'jobs maintenance failed; retrying'))
          .finally(() => this.busy.delete(task)),
      )
    }, ms)
    t.unref()
    this.timers.push(t)
  }

  /** VACUUM the jobs table if enough dead rows piled up; returns whether it ran. */
  async vacuum(): Promise<boolean> {
    const t0 = performance.now()
    const r = await vacuumIfBloated(this.o.db, this.o.vacuumDeadRows ?? DEFAULT_VACUUM_DEAD_ROWS)
    if (r.vacuumed) {
      this.o.metrics.vacuums++
      this.o.log.debug({ dead: r.dead, ms: Math.round(performance.now() - t0) }, 'jobs table vacuumed')
    }
    return r.vacuumed
  }

  /** Give back jobs whose lease expired; returns how many. */
  async sweep(): Promise<number> {
    return this.o.db.tx(async (tx) => {
      const { rows } = await tx.query<{
        id: string
        state: string
        has_children: boolean
        dead_letter: boolean
      }>(SWEEP, [this.channel])
      const dead = rows.filter((r) => r.state === 'dead' && r.has_children).map((r) => r.id)
      if (dead.length > 0) await propagateFailure(tx, dead, this.channel)
      const letters = rows.filter((r) => r.dead_letter).map((r) => r.id)
      if (letters.length > 0) await deadLetter(tx, letters, this.channel)
      this.o.metrics.stalls += rows.length
      return rows.length
    })
  }

  /** Delete finished jobs past their retention; returns how many. */
  async prune(): Promise<number> {
    let pruned = 0
    for (const [column, states, ms] of [
      ['retention_ms', "('completed', 'cancelled')", this.o.retentionMs],
      ['dead_retention_ms', "('dead')", this.o.deadRetentionMs],
    ] as const) {
      const { rows } = await this.o.db.query<{ n: number }>(PRUNE(column, states), [ms])
      pruned += rows[0]?.n ?? 0
    }
    await this.o.db.query("DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day'")
    return pruned
  }
}
