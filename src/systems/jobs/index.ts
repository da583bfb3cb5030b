/**
 * Background jobs: a PostgreSQL job queue and cron scheduler. This file only
 * wires the parts: stores -> service -> routes; worker, scheduler and
 * maintenance as the system's workers. Read README.md first.
 *
 * The default export runs the built-in tasks (http, noop, sleep, fail). An
 * application registers its own handlers with `createJobsSystem({ tasks })`.
 */
import { randomBytes } from 'node:crypto'
import type { Db } from '../../platform/db/port.js'
import { requireBearerToken } from '../../platform/http/bearer-auth.js'
import { Maintenance } from '../../platform/jobs/maintenance.js'
import { JobMetrics } from '../../platform/jobs/metrics.js'
import { RateLimits } from '../../platform/jobs/rate-limits.js'
import { CronScheduler } from '../../platform/jobs/scheduler.js'
import { settings } from '../../platform/jobs/settings.js'
import type { TaskDefinition } from '../../platform/jobs/types.js'
import { JobWorker } from '../../platform/jobs/worker.js'
import { WorkerStore } from '../../platform/jobs/worker.store.js'
import { guardedAgent } from '../../platform/net/guarded-agent.js'
import { defineSystem, type SystemDefinition, type Worker } from '../../platform/system.js'
import { jobRoutes } from './jobs.routes.js'
import { JobsStore } from './jobs.store.js'
import { keyRoutes } from './keys.routes.js'
import { PullService } from './pull.js'
import { pullRoutes } from './pull.routes.js'
import { PullStore } from './pull.store.js'
import { queueRoutes } from './queues.routes.js'
import { QueuesStore } from './queues.store.js'
import { scheduleRoutes } from './schedules.routes.js'
import { SchedulesStore } from './schedules.store.js'
import { JobsService } from './service.js'
import { builtinTasks } from './tasks.js'

export { addJob, addJobs } from '../../platform/jobs/enqueue.js'
export { removeJob, rescheduleJob } from '../../platform/jobs/keyed-jobs.js'
export type { JobSpec, TaskContext, TaskDefinition } from '../../platform/jobs/types.js'

export interface JobsSystemOptions {
  /** Task handlers by name, added to (and able to replace) the built-in ones. */
  tasks?: Record<string, TaskDefinition>
  /** Worker options for tests: heartbeat period (0: none), sweep period. */
  heartbeatMs?: number
  sweepMs?: number
}

/** The installation's signing secret: JOBS_SIGNING_SECRET, else one generated once and stored. */
async function signingSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured
  await db.query('INSERT INTO signing_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [
    randomBytes(32).toString('base64url'),
  ])
  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM signing_key WHERE id = 1')
  return rows[0]!.secret
}

/** The jobs system with extra task handlers. */
export function createJobsSystem(opts: JobsSystemOptions = {}): SystemDefinition<typeof settings> {
  return defineSystem({
    name: 'jobs',
    description:
      'PostgreSQL job queue and cron scheduler: retries, priorities, DAGs, rate limits, HTTP targets',
    migrations: new URL('../../platform/jobs/sql/', import.meta.url),
    // Lifecycle events (jobs.job.*) leave through the outbox: written by the state change's own statement.
    outbox: true,
    settings,

    async create(ctx) {
      const s = ctx.settings
      const db = ctx.db
      // SQL callers of add_job() meet the same payload limit as the API.
      await db.query('UPDATE limits SET max_payload_bytes = $1 WHERE id = 1 AND max_payload_bytes <> $1', [
        s.JOBS_MAX_PAYLOAD_BYTES,
      ])
      // Which lifecycle events the state-change trigger writes (sql/0005).
      const events = s.JOBS_EVENTS.filter((e) => e !== 'none')
      await db.query('UPDATE limits SET events = $1 WHERE id = 1 AND events IS DISTINCT FROM $1', [events])
      const secret = await signingSecret(db, s.JOBS_SIGNING_SECRET)
      const policy = { allowed: new Set(s.JOBS_ALLOWED_TARGETS.map((t) => t.toLowerCase())) }
      // Every HTTP target request dials through this agent, which checks the address it connects to.
      const agent = guardedAgent(policy)
      const tasks = new Map<string, TaskDefinition>(
        builtinTasks({
          policy,
          agent,
          secret: () => secret,
          defaultTimeoutMs: s.JOBS_HTTP_TIMEOUT_MS,
        }),
      )
      for (const [name, def] of Object.entries(opts.tasks ?? {})) tasks.set(name, def)

      const metrics = new JobMetrics(ctx.metrics.registry, db)
      const jobs = new JobsStore(db)
      const queues = new QueuesStore(db)
      const schedules = new SchedulesStore(db)
      const service = new JobsService(db, tasks, s.JOBS_MAX_PAYLOAD_BYTES)
      const pull = new PullService({
        db,
        pull: new PullStore(db),
        store: new WorkerStore(db),
        backoff: { baseMs: s.JOBS_BACKOFF_BASE_MS, maxMs: s.JOBS_BACKOFF_MAX_MS },
      })

      const workers: Worker[] = [
        pull,
        new Maintenance({
          db,
          log: ctx.log,
          metrics,
          leaseMs: s.JOBS_LEASE_MS,
          retentionMs: s.JOBS_RETENTION_MS,
          deadRetentionMs: s.JOBS_DEAD_RETENTION_MS,
          vacuumDeadRows: s.JOBS_VACUUM_DEAD_ROWS,
          sweepMs: opts.sweepMs,
        }),
      ]
      if (s.JOBS_SCHEDULER)
        workers.push(
          new CronScheduler({
            db,
            log: ctx.log,
            graceMs: s.JOBS_CRON_GRACE_MS,
            maxCatchUp: s.JOBS_CRON_MAX_CATCH_UP,
          }),
        )
      if (s.JOBS_WORKER)
        workers.push(
          new JobWorker({
            db,
            tasks,
            log: ctx.log,
            metrics,
            tracing: ctx.tracing,
            limits: new RateLimits(ctx.redis),
            concurrency: s.JOBS_CONCURRENCY,
            queueConcurrency: s.JOBS_QUEUE_CONCURRENCY,
            fetchBatch: s.JOBS_FETCH_BATCH,
            prefetch: s.JOBS_PREFETCH,
            leaseMs: s.JOBS_LEASE_MS,
            pollMs: s.JOBS_POLL_MS,
            defaultTimeoutMs: s.JOBS_DEFAULT_TIMEOUT_MS,
            backoff: { baseMs: s.JOBS_BACKOFF_BASE_MS, maxMs: s.JOBS_BACKOFF_MAX_MS },
            shutdownGraceMs: s.JOBS_SHUTDOWN_GRACE_MS,
            heartbeatMs: opts.heartbeatMs,
          }),
        )

      return {
        routes(app) {
          // First: it guards the routes registered after it, every one of this system's.
          requireBearerToken(app, {
            token: s.JOBS_API_TOKEN,
            code: 'JOBS_UNAUTHORIZED',
            realm: 'jobs',
            message: 'the jobs API needs Authorization: Bearer <JOBS_API_TOKEN>',
          })
          jobRoutes(app, { service, jobs })
          keyRoutes(app, { db, jobs })
          pullRoutes(app, { pull, defaultLeaseMs: s.JOBS_LEASE_MS })
          queueRoutes(app, { queues, jobs, service })
          scheduleRoutes(app, { schedules, service })
        },
        // Started in this order, stopped in reverse: the worker stops (hands back) first.
        workers,
        close: () => agent.close(),
      }
    },
  })
}

export default createJobsSystem()
