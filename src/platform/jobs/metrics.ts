/**
 * The job queue's Prometheus metrics. The worker's hot path bumps plain
 * numbers and pushes durations into small arrays; prom-client objects are
 * filled at scrape time (collect), so a job costs no label hashing.
 * Queue depth per state is read from the database at scrape time.
 */
import type { Db } from '../db/port.js'
import { Counter, Gauge, Histogram, type Registry } from '../telemetry/metrics.js'

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/** Per-queue tallies since the last scrape (durations) or since start (counters). */
class QueueTally {
  completed = 0
  failed = 0
  dead = 0
  refused = 0
  released = 0
  rateLimited = 0
  /** Fetch statements sent for the queue (jobs per fetch = completed / fetches under load). */
  fetches = 0
  waits: number[] = []
  runs: number[] = []
}

export class JobMetrics {
  private readonly tallies = new Map<string, QueueTally>()
  stalls = 0
  vacuums = 0

  constructor(registry: Registry, db: Db) {
    const tallies = this.tallies
    const self = this
    const counter = (name: string, help: string, pick: (t: QueueTally) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['queue'] as const,
        registers: [registry],
        collect() {
          this.reset()
          for (const [queue, t] of tallies) this.inc({ queue }, pick(t))
        },
      })
    counter('jobs_completed_total', 'Attempts that completed', (t) => t.completed)
    counter(
      'jobs_failed_total',
      'Attempts that failed (threw, timed out); a retry may follow',
      (t) => t.failed,
    )
    counter('jobs_dead_total', 'Jobs that failed their last attempt', (t) => t.dead)
    counter(
      'jobs_refused_completions_total',
      'Completions or failures refused because the worker had lost the lease (a late worker)',
      (t) => t.refused,
    )
    counter(
      'jobs_released_total',
      'Jobs handed back without counting an attempt (shutdown)',
      (t) => t.released,
    )
    counter(
      'jobs_rate_limited_total',
      'Fetched jobs put back by a queue or group rate limit',
      (t) => t.rateLimited,
    )
    counter(
      'jobs_fetches_total',
      'Fetch statements this process sent (one per batch of jobs it took, or per empty look)',
      (t) => t.fetches,
    )
    new Counter({
      name: 'jobs_stalled_total',
      help: 'Jobs whose lease expired (worker died or hung), rescued by this process’s sweeper',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(self.stalls)
      },
    })
    new Counter({
      name: 'jobs_vacuums_total',
      help: 'VACUUMs of the jobs table this process ran because dead rows piled up (JOBS_VACUUM_DEAD_ROWS)',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(self.vacuums)
      },
    })
    const histogram = (name: string, help: string, pick: (t: QueueTally) => number[]) =>
      new Histogram({
        name,
        help,
        labelNames: ['queue'] as const,
        buckets: BUCKETS,
        registers: [registry],
        collect() {
          for (const [queue, t] of tallies) {
            const values = pick(t)
            for (const v of values) this.observe({ queue }, v)
            values.length = 0
          }
        },
      })
    histogram('jobs_wait_seconds', 'Time from runnable (run_at) to start of an attempt', (t) => t.waits)
    histogram('jobs_run_seconds', 'Duration of attempts (completed or failed)', (t) => t.runs)
    new Gauge({
      name: 'jobs_depth',
      help: 'Jobs per queue and state (read from the database at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset()
        const { rows } = await db.query<{ queue: string; state: string; n: number }>(
          'SELECT queue, state, count(*)::int AS n FROM jobs GROUP BY queue, state',
        )
        for (const r of rows) this.set({ queue: r.queue, state: r.state }, r.n)
      },
    })
  }

  /** The tally of a queue (created on first use). */
  queue(name: string): QueueTally {
    let t = this.tallies.get(name)
    if (!t) {
      t = new QueueTally()
      this.tallies.set(name, t)
    }
    return t
  }
}

/** Durations kept between scrapes are capped: an unscraped process must not grow without bound. */
export const MAX_SAMPLES = 10_000

/** Record a duration in seconds, dropping samples past the cap. */
export function sample(into: number[], seconds: number): void {
  if (into.length < MAX_SAMPLES) into.push(seconds)
}
