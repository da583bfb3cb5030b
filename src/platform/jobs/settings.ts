/**
 * The job engine's environment variables, read once per process (by the composition root, when a
 * selected system declares jobs, and by a stand-alone worker process): the worker pool, leases,
 * retries, retention, cron. The names keep their JOBS_ prefix from when the engine was the jobs
 * system's; the jobs system (the service) has its own few besides (src/systems/jobs/settings.ts).
 */
import { bool, int, list, type SettingsOf } from '../settings.js'

export const engineSettings = {
  JOBS_WORKER: bool({
    default: true,
    doc: 'run a worker in this process (false: API and SQL enqueue only)',
  }),
  JOBS_CONCURRENCY: int({
    default: 20,
    min: 1,
    max: 10_000,
    doc: 'jobs one process runs at once, all queues together',
  }),
  JOBS_QUEUE_CONCURRENCY: int({
    default: 10,
    min: 1,
    max: 1_000,
    doc: 'jobs of one queue one process runs at once, unless the queue sets its own',
  }),
  JOBS_FETCH_BATCH: int({
    default: 500,
    min: 1,
    max: 1_000,
    doc: 'most jobs taken by one fetch: free slots plus the prefetch, which doubles toward this while fetches come back full (a backlog)',
  }),
  JOBS_PREFETCH: int({
    default: 10,
    min: 0,
    max: 1_000,
    doc: 'jobs per queue a worker fetches ahead of free slots, held leased and ready to start (0: none)',
  }),
  JOBS_LEASE_MS: int({
    default: 30_000,
    min: 100,
    max: 3_600_000,
    doc: 'how long a fetched job stays locked without a heartbeat; a dead worker’s jobs are retaken after it',
  }),
  JOBS_POLL_MS: int({
    default: 1_000,
    min: 10,
    max: 60_000,
    doc: 'fallback poll interval (LISTEN/NOTIFY wakes workers at once; polling covers a lost notification and delayed jobs)',
  }),
  JOBS_DEFAULT_TIMEOUT_MS: int({
    default: 300_000,
    min: 1,
    max: 86_400_000,
    doc: 'per-attempt timeout when neither the job nor its task gives one',
  }),
  JOBS_BACKOFF_BASE_MS: int({
    default: 1_000,
    min: 0,
    max: 86_400_000,
    doc: 'retry delay base: attempt n waits a random time in [0, base x 2^(n-1)] (full jitter)',
  }),
  JOBS_BACKOFF_MAX_MS: int({
    default: 3_600_000,
    min: 0,
    max: 604_800_000,
    doc: 'retry delay ceiling',
  }),
  JOBS_MAX_PAYLOAD_BYTES: int({
    default: 262_144,
    min: 64,
    max: 16_777_216,
    doc: 'largest job payload (JSON text) accepted',
  }),
  JOBS_RETENTION_MS: int({
    default: 86_400_000,
    min: 0,
    max: 31_536_000_000,
    doc: 'how long completed and cancelled jobs are kept before pruning (0: pruned at the next sweep)',
  }),
  JOBS_DEAD_RETENTION_MS: int({
    default: 604_800_000,
    min: 0,
    max: 31_536_000_000,
    doc: 'how long dead jobs are kept for redrive before pruning',
  }),
  JOBS_VACUUM_DEAD_ROWS: int({
    default: 10_000,
    min: 0,
    max: 1_000_000_000,
    doc: 'dead rows in the jobs table that make the maintenance VACUUM it (0: leave it to autovacuum)',
  }),
  JOBS_SHUTDOWN_GRACE_MS: int({
    default: 5_000,
    min: 0,
    max: 600_000,
    doc: 'on shutdown, how long running jobs may finish before they are handed back',
  }),
  JOBS_SCHEDULER: bool({ default: true, doc: 'run the cron scheduler in this process' }),
  JOBS_CRON_GRACE_MS: int({
    default: 60_000,
    min: 1_000,
    max: 86_400_000,
    doc: 'a cron tick later than this is missed (downtime) and follows the schedule’s catch-up policy',
  }),
  JOBS_CRON_MAX_CATCH_UP: int({
    default: 100,
    min: 1,
    max: 10_000,
    doc: 'most missed ticks one schedule enqueues with catch-up "all"',
  }),
  JOBS_EVENTS: list({
    default: ['completed', 'failed', 'dead', 'cancelled', 'removed'],
    item: (v) => ['completed', 'failed', 'dead', 'cancelled', 'removed', 'none'].includes(v),
    itemDoc: 'completed, failed, dead, cancelled, removed (or none)',
    doc: 'lifecycle events published on the Bus as jobs.job.<event>, through the outbox (none: no events)',
  }),
} as const

/** The engine's settings as parsed. */
export type EngineSettingsValues = SettingsOf<typeof engineSettings>
