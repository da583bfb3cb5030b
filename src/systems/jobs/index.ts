/**
 * Background jobs, the service: the REST API (jobs, queues, keys, schedules), the pull API for
 * workers in any language, HTTP-target tasks and the built-in tasks, over the job engine of
 * src/platform/jobs/ (the worker pool, fetch, leases, retries, cron, maintenance, `addJob(tx)`),
 * which every system uses. This file only wires the parts: stores -> service -> routes. Read
 * README.md first.
 *
 * The default export runs the built-in tasks (http, noop, sleep, fail) for the queues no system
 * owns. An application registers its own handlers with `createJobsSystem({ tasks })`.
 */
import { randomBytes } from 'node:crypto'
import type { Db } from '../../platform/db/port.js'
import { requireBearerToken } from '../../platform/http/bearer-auth.js'
import type { TaskDefinition } from '../../platform/jobs/types.js'
import { WorkerStore } from '../../platform/jobs/worker.store.js'
import { guardedAgent } from '../../platform/net/guarded-agent.js'
import { defineSystem, type SystemDefinition } from '../../platform/system.js'
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
import { settings } from './settings.js'
import { builtinTasks } from './tasks.js'

export { addJob, addJobs } from '../../platform/jobs/enqueue.js'
export { removeJob, rescheduleJob } from '../../platform/jobs/keyed-jobs.js'
export type { JobSpec, TaskContext, TaskDefinition } from '../../platform/jobs/types.js'

export interface JobsSystemOptions {
  /** Task handlers by name, added to (and able to replace) the built-in ones. */
  tasks?: Record<string, TaskDefinition>
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
    // The job tables, their migrations and the outbox of the lifecycle events (jobs.job.*) are the
    // engine's (platform/jobs), in this system's schema `<DB_SCHEMA_PREFIX>jobs`; this system runs
    // the jobs of every queue no system owns: those made through its API or SQL.
    jobs: { undeclaredQueues: true },
    settings,

    async create(ctx) {
      const s = ctx.settings
      const engine = ctx.jobs.settings
      // The service's tables (signing_key, idempotency_keys, pull queues) live with the engine's.
      const db = ctx.db
      const secret = await signingSecret(db, s.JOBS_SIGNING_SECRET)
      const policy = { allowed: new Set(s.JOBS_ALLOWED_TARGETS.map((t) => t.toLowerCase())) }
      // Every HTTP target request dials through this agent, which checks the address it connects to.
      const agent = guardedAgent(policy)
      const tasks: Record<string, TaskDefinition> = Object.fromEntries(
        builtinTasks({
          policy,
          agent,
          secret: () => secret,
          defaultTimeoutMs: s.JOBS_HTTP_TIMEOUT_MS,
        }),
      )
      for (const [name, def] of Object.entries(opts.tasks ?? {})) tasks[name] = def

      const jobs = new JobsStore(db)
      const queues = new QueuesStore(db)
      const schedules = new SchedulesStore(db)
      // The REST API accepts the tasks of every system this process runs (ctx.jobs.tasks).
      const service = new JobsService(db, ctx.jobs.tasks, engine.JOBS_MAX_PAYLOAD_BYTES)
      const pull = new PullService({
        db,
        pull: new PullStore(db),
        store: new WorkerStore(db),
        backoff: { baseMs: engine.JOBS_BACKOFF_BASE_MS, maxMs: engine.JOBS_BACKOFF_MAX_MS },
      })

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
          pullRoutes(app, { pull, defaultLeaseMs: engine.JOBS_LEASE_MS })
          queueRoutes(app, { queues, jobs, service })
          scheduleRoutes(app, { schedules, service })
        },
        // The worker pool, sweep, scheduler and events' relay are the engine's (platform/jobs), run once per process.
        workers: [pull],
        tasks,
        close: () => agent.close(),
      }
    },
  })
}

export default createJobsSystem()
