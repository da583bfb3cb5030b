/**
 * A stand-alone worker process: the jobs worker and the stalled-job sweeper
 * with an application's own handlers, and no HTTP server. This is how a
 * service runs workers next to the API processes (`JOBS_WORKER=false` there):
 *
 *   await runWorkerProcess((db) => ({ 'send-email': { handler: ... } }))
 *
 * It reads the platform's and the job engine's settings from the
 * environment, expects the schema to be migrated (by any Blueprints process,
 * or `npx blueprints migrate`), prints `worker ready <id>` when it takes
 * jobs, and on SIGTERM/SIGINT stops gracefully (running jobs finish or are
 * handed back) and exits 0.
 */
import { trace } from '@opentelemetry/api'
import { loadConfig, systemSettings } from '../config.js'
import { openDb } from '../db/open.js'
import type { Db } from '../db/port.js'
import { createLogger } from '../telemetry/logger.js'
import { Registry } from '../telemetry/metrics.js'
import { Maintenance } from './maintenance.js'
import { JobMetrics } from './metrics.js'
import { jobsSchema } from './migrations.js'
import { RateLimits } from './rate-limits.js'
import { engineSettings } from './settings.js'
import type { TaskDefinition } from './types.js'
import { JobWorker } from './worker.js'

/** Run a worker process with the handlers `tasks(db)` returns, until SIGTERM. */
export async function runWorkerProcess(tasks: (db: Db) => Record<string, TaskDefinition>): Promise<void> {
  const config = loadConfig()
  const s = systemSettings(config, engineSettings)
  const log = createLogger(config.logLevel)
  const root = await openDb(config, (err) => log.warn({ err }, 'database connection error'))
  const db = root.withSchema(jobsSchema(config.dbSchemaPrefix))
  const metrics = new JobMetrics(new Registry(), db)
  const worker = new JobWorker({
    db,
    tasks: new Map(Object.entries(tasks(db))),
    log,
    metrics,
    tracing: { tracer: trace.getTracer('jobs-worker'), exporting: false, shutdown: async () => {} },
    limits: new RateLimits(undefined),
    concurrency: s.JOBS_CONCURRENCY,
    queueConcurrency: s.JOBS_QUEUE_CONCURRENCY,
    fetchBatch: s.JOBS_FETCH_BATCH,
    prefetch: s.JOBS_PREFETCH,
    leaseMs: s.JOBS_LEASE_MS,
    pollMs: s.JOBS_POLL_MS,
    defaultTimeoutMs: s.JOBS_DEFAULT_TIMEOUT_MS,
    backoff: { baseMs: s.JOBS_BACKOFF_BASE_MS, maxMs: s.JOBS_BACKOFF_MAX_MS },
    shutdownGraceMs: s.JOBS_SHUTDOWN_GRACE_MS,
    // The queues no system owns (sql/0009): another system's have handlers this process lacks.
    owners: { systems: new Set(), undeclared: true },
  })
  const sweeper = new Maintenance({
    db,
    log,
    metrics,
    leaseMs: s.JOBS_LEASE_MS,
    retentionMs: s.JOBS_RETENTION_MS,
    deadRetentionMs: s.JOBS_DEAD_RETENTION_MS,
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await worker.stop()
    await sweeper.stop()
    await root.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  await sweeper.start()
  await worker.start()
  process.stdout.write(`worker ready ${worker.id}\n`)
}
