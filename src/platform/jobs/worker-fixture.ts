/**
 * Worker-level test fixture: a migrated jobs schema on a backend, and
 * workers, schedulers and sweepers built directly on it (several per test,
 * as several processes would run them). Also used by bench.ts.
 */
import { trace } from '@opentelemetry/api'
import type { Db } from '../db/port.js'
import { createLogger } from '../telemetry/logger.js'
import { Registry } from '../telemetry/metrics.js'
import type { Tracing } from '../telemetry/tracing.js'
import { Maintenance } from './maintenance.js'
import { JobMetrics } from './metrics.js'
import { migrateJobTables } from './migrations.js'
import { RateLimits } from './rate-limits.js'
import { CronScheduler } from './scheduler.js'
import type { TaskDefinition } from './types.js'
import { JobWorker, type WorkerOptions } from './worker.js'

const noTracing: Tracing = {
  tracer: trace.getTracer('jobs-test'),
  exporting: false,
  shutdown: async () => {},
}
export const silentLog = createLogger(process.env.TEST_LOG_LEVEL || 'silent')

/** Create the jobs tables in `db`'s schema, with the outbox its lifecycle events are written to (as the system has). */
export async function migrateJobs(db: Db): Promise<void> {
  await migrateJobTables(db)
}

export class WorkerFixture {
  readonly metrics: JobMetrics
  private readonly started: { stop(): Promise<void> }[] = []

  constructor(readonly db: Db) {
    this.metrics = new JobMetrics(new Registry(), db)
  }

  /** A started worker running `tasks`. */
  async worker(tasks: Record<string, TaskDefinition>, o: Partial<WorkerOptions> = {}): Promise<JobWorker> {
    const w = new JobWorker({
      db: this.db,
      tasks: new Map(Object.entries(tasks)),
      log: silentLog,
      metrics: this.metrics,
      tracing: noTracing,
      limits: new RateLimits(undefined),
      concurrency: 20,
      queueConcurrency: 10,
      fetchBatch: 50,
      leaseMs: 30_000,
      pollMs: 50,
      defaultTimeoutMs: 60_000,
      backoff: { baseMs: 5, maxMs: 20 },
      shutdownGraceMs: 2_000,
      ...o,
    })
    await w.start()
    this.started.push(w)
    return w
  }

  /** A started stalled-job sweeper. */
  async sweeper(leaseMs: number, sweepMs = 50): Promise<Maintenance> {
    const m = new Maintenance({
      db: this.db,
      log: silentLog,
      metrics: this.metrics,
      leaseMs,
      retentionMs: 86_400_000,
      deadRetentionMs: 86_400_000,
      sweepMs,
    })
    await m.start()
    this.started.push(m)
    return m
  }

  /** A scheduler (not started: tests call runOnce or start it). */
  scheduler(graceMs = 60_000, maxCatchUp = 100): CronScheduler {
    const s = new CronScheduler({ db: this.db, log: silentLog, graceMs, maxCatchUp, intervalMs: 100 })
    this.started.push(s)
    return s
  }

  /** Stop everything this fixture started. */
  async close(): Promise<void> {
    for (const s of this.started.reverse()) await s.stop()
  }
}
