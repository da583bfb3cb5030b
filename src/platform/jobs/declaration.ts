/**
 * How a system uses the job engine: what it declares in `defineSystem({ jobs })`
 * (its queues) and what it gets in its context (`ctx.jobs`: enqueue in its own
 * transaction). Types only, so that `platform/system.ts` can name them without
 * importing the engine.
 */
import type { Queryable } from '../db/port.js'
import type { RemovedJob, Reschedule, RescheduledJob } from './keyed-jobs.js'
import type { EngineSettingsValues } from './settings.js'
import type { AddedJob, JobSpec, TaskRegistry } from './types.js'

/**
 * A queue's settings, as `PUT /jobs/queues/{queue}` takes them. Left out: the
 * process's defaults (JOBS_QUEUE_CONCURRENCY, JOBS_BACKOFF_*, ...), no limit.
 */
export interface QueueDeclaration {
  /** Jobs of the queue one process runs at once. */
  concurrency?: number
  /** Jobs of the queue active at once across every process (1: a serial queue). */
  globalConcurrency?: number
  /** At most `rateLimit` starts per `ratePeriodMs`, queue-wide. */
  rateLimit?: number
  ratePeriodMs?: number
  /** At most `groupRateLimit` starts per `groupRatePeriodMs` per group key (a tenant). */
  groupRateLimit?: number
  groupRatePeriodMs?: number
  /** The default of its jobs' attempts (a job's own maxAttempts wins). */
  maxAttempts?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** How long completed / dead jobs are kept. */
  retentionMs?: number
  deadRetentionMs?: number
  /** A queue (declared too, or existing) that gets a copy of each job of this one that dies. */
  deadLetter?: string
}

/** A cron schedule a system runs: each tick of `cron` (in `tz`) enqueues one job, exactly once across processes. */
export interface ScheduleDeclaration {
  /** One of the system's declared queues. */
  queue: string
  task: string
  payload?: unknown
  /** 5 fields, or 6 with seconds first, or @hourly/@daily/... */
  cron: string
  /** IANA time zone; default UTC. */
  tz?: string
  /** After downtime: every missed tick (up to JOBS_CRON_MAX_CATCH_UP), the latest one (default), or none. */
  catchUp?: 'all' | 'latest' | 'none'
  priority?: number
  maxAttempts?: number
}

/** `defineSystem({ jobs })`: the queues a system owns. Its task handlers come from `create()` (`tasks`). */
export interface JobsDeclaration {
  /**
   * Queues this system owns, by name (`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$`; prefix them with the
   * system's name, e.g. `payments.webhooks`). Created or updated at boot with these settings and
   * recorded as the system's: only processes that run the system fetch their jobs.
   */
  readonly queues?: Readonly<Record<string, QueueDeclaration>>
  /**
   * Cron schedules, by name (prefix them with the system's), written at boot into the schedules
   * the scheduler runs (and `GET /jobs/schedules` lists). Each enqueues into one of the
   * system's queues; a schedule of that name on another system's queue stops the boot.
   */
  readonly schedules?: Readonly<Record<string, ScheduleDeclaration>>
  /**
   * Also run the jobs of queues no system owns (made through the jobs API or SQL). The jobs
   * system sets it: its tasks (http, noop, ...) are what those queues run.
   */
  readonly undeclaredQueues?: boolean
}

/** `ctx.jobs`: the job engine as one system sees it. */
export interface SystemJobs {
  /** The schema of the installation's job tables (`<DB_SCHEMA_PREFIX>jobs`). */
  readonly schema: string
  /** The engine's settings in this process (JOBS_LEASE_MS, JOBS_BACKOFF_*, ...). */
  readonly settings: EngineSettingsValues
  /** Every task handler of this process, all systems together (complete once every system is created). */
  readonly tasks: TaskRegistry
  /**
   * Enqueue into one of this system's queues on `tx`: pass the transaction of the write
   * that causes the job, and the job exists if and only if that write commits (its
   * NOTIFY wakes the workers at that commit). A Db instead runs it on its own.
   */
  addJob(tx: Queryable, queue: string, spec: JobSpec): Promise<AddedJob>
  /** Enqueue many jobs of one queue (one statement without keys or dependencies). */
  addJobs(tx: Queryable, queue: string, specs: readonly JobSpec[]): Promise<AddedJob[]>
  /** Delete the pending job of `queue` with `key` (undefined: none). */
  removeJob(tx: Queryable, queue: string, key: string): Promise<RemovedJob | undefined>
  /** Change the run time, priority or attempts of the pending job of `queue` with `key`. */
  rescheduleJob(
    tx: Queryable,
    queue: string,
    key: string,
    changes: Reschedule,
  ): Promise<RescheduledJob | undefined>
}
