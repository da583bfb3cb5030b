/**
 * The job engine of one process: the installation's job tables (migrated at
 * open), the queues and task handlers of the systems this process runs, and
 * one set of workers for all of them: the worker pool (per-queue concurrency,
 * fetching only the queues whose handlers it has), the stalled-job sweep with
 * pruning and VACUUM, the cron scheduler, and the relay of the lifecycle
 * events' outbox. The composition root (src/app.ts) opens it when a selected
 * system declares `jobs`; see README.md for a job's life.
 */
import { trace } from '@opentelemetry/api'
import { createOutboxRelay } from '../bus/outbox.js'
import type { Bus } from '../bus/port.js'
import type { Db } from '../db/port.js'
import type { Redis } from '../redis/client.js'
import type { Worker } from '../system.js'
import type { Logger } from '../telemetry/logger.js'
import type { Registry } from '../telemetry/metrics.js'
import type { Tracing } from '../telemetry/tracing.js'
import type { JobsDeclaration } from './declaration.js'
import { declareQueues } from './declared-queues.js'
import { declareSchedules } from './declared-schedules.js'
import { channelOf } from './enqueue.js'
import { Maintenance } from './maintenance.js'
import { JobMetrics } from './metrics.js'
import { migrateJobTables } from './migrations.js'
import { RateLimits } from './rate-limits.js'
import { CronScheduler } from './scheduler.js'
import type { EngineSettingsValues } from './settings.js'
import { recordSystemTasks } from './system-tasks.js'
import type { TaskDefinition } from './types.js'
import { JobWorker } from './worker.js'

export interface JobsEngineOptions {
  /** A Db on the job tables' schema (`jobsSchema(prefix)`). */
  db: Db
  settings: EngineSettingsValues
  log: Logger
  /** The process's metrics registry: jobs_* metrics, every queue's, whichever system owns it. */
  registry: Registry
  tracing?: Tracing
  /** Redis for the queues' rate limits (keys under `<REDIS_KEY_PREFIX>jobs:`); undefined: in memory. */
  redis?: Redis
  bus: Bus
  /** Test tuning: the worker's heartbeat period (0: none) and the sweep period. */
  heartbeatMs?: number
  sweepMs?: number
}

export class TaskConflictError extends Error {
  override name = 'TaskConflictError'
}

export class JobsEngine {
  readonly schema: string
  readonly settings: EngineSettingsValues
  /** Every task handler of this process, all systems together. */
  readonly tasks = new Map<string, TaskDefinition>()
  readonly metrics: JobMetrics
  private readonly taskOwner = new Map<string, string>()
  private readonly owners = { systems: new Set<string>(), undeclared: false }

  private constructor(private readonly o: JobsEngineOptions) {
    this.schema = o.db.schema
    this.settings = o.settings
    this.metrics = new JobMetrics(o.registry, o.db)
  }

  /** Migrate the job tables and write the limits SQL callers meet too; returns the engine and the files applied. */
  static async open(o: JobsEngineOptions): Promise<{ engine: JobsEngine; applied: string[] }> {
    const applied = await migrateJobTables(o.db)
    const s = o.settings
    // SQL callers of add_job() meet the same payload limit as addJob() and the REST API.
    await o.db.query('UPDATE limits SET max_payload_bytes = $1 WHERE id = 1 AND max_payload_bytes <> $1', [
      s.JOBS_MAX_PAYLOAD_BYTES,
    ])
    // Which lifecycle events the state-change trigger writes (sql/0005).
    const events = s.JOBS_EVENTS.filter((e) => e !== 'none')
    await o.db.query('UPDATE limits SET events = $1 WHERE id = 1 AND events IS DISTINCT FROM $1', [events])
    return { engine: new JobsEngine(o), applied }
  }

  /** Record `system`'s queues (created or updated, owned by it) and schedules, and that this process runs them. */
  async declare(system: string, decl: JobsDeclaration): Promise<void> {
    const queues = decl.queues ?? {}
    await declareQueues(this.o.db, channelOf(this.o.db), system, queues)
    await declareSchedules(this.o.db, system, Object.keys(queues), decl.schedules ?? {})
    this.owners.systems.add(system)
    if (decl.undeclaredQueues) this.owners.undeclared = true
  }

  /**
   * Add `system`'s task handlers (a task name another system of this process has is refused), and
   * record their names in the job tables, where a process that does not run the system checks jobs
   * added to its queues (system-tasks.ts).
   */
  async register(system: string, tasks: Readonly<Record<string, TaskDefinition>>): Promise<void> {
    for (const [name, def] of Object.entries(tasks)) {
      const other = this.taskOwner.get(name)
      if (other !== undefined && other !== system)
        throw new TaskConflictError(
          `systems ${other} and ${system} both have a task named ${name}: prefix task names with the system's`,
        )
      this.taskOwner.set(name, system)
      this.tasks.set(name, def)
    }
    await recordSystemTasks(this.o.db, system, Object.keys(tasks))
  }

  /**
   * The process's job workers, in start order (stopped in reverse): the events' relay, the sweep,
   * the scheduler (JOBS_SCHEDULER), the worker pool (JOBS_WORKER) last, so it stops first and
   * hands back what it cannot finish while the rest still run.
   */
  workers(): Worker[] {
    const s = this.settings
    const { db, log } = this.o
    const out: Worker[] = [
      createOutboxRelay(db, this.o.bus, log),
      new Maintenance({
        db,
        log,
        metrics: this.metrics,
        leaseMs: s.JOBS_LEASE_MS,
        retentionMs: s.JOBS_RETENTION_MS,
        deadRetentionMs: s.JOBS_DEAD_RETENTION_MS,
        vacuumDeadRows: s.JOBS_VACUUM_DEAD_ROWS,
        sweepMs: this.o.sweepMs,
      }),
    ]
    if (s.JOBS_SCHEDULER)
      out.push(
        new CronScheduler({ db, log, graceMs: s.JOBS_CRON_GRACE_MS, maxCatchUp: s.JOBS_CRON_MAX_CATCH_UP }),
      )
    if (s.JOBS_WORKER)
      out.push(
        new JobWorker({
          db,
          tasks: this.tasks,
          log,
          metrics: this.metrics,
          tracing: this.o.tracing ?? {
            tracer: trace.getTracer('jobs'),
            exporting: false,
            shutdown: async () => {},
          },
          limits: new RateLimits(this.o.redis),
          owners: this.owners,
          concurrency: s.JOBS_CONCURRENCY,
          queueConcurrency: s.JOBS_QUEUE_CONCURRENCY,
          fetchBatch: s.JOBS_FETCH_BATCH,
          prefetch: s.JOBS_PREFETCH,
          leaseMs: s.JOBS_LEASE_MS,
          pollMs: s.JOBS_POLL_MS,
          defaultTimeoutMs: s.JOBS_DEFAULT_TIMEOUT_MS,
          backoff: { baseMs: s.JOBS_BACKOFF_BASE_MS, maxMs: s.JOBS_BACKOFF_MAX_MS },
          shutdownGraceMs: s.JOBS_SHUTDOWN_GRACE_MS,
          heartbeatMs: this.o.heartbeatMs,
        }),
      )
    return out
  }
}
