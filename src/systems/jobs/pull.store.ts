/**
 * The SQL of the pull API (pull.ts): which queues a request may pull from,
 * and the fetch of several pull queues at once, optionally of given tasks
 * only, within each queue's global concurrency limit (pull_fetch(), sql/0008). The writes after the fetch (heartbeat, complete, fail) are the
 * worker's own fenced writes (worker.store.ts): every one names the lease it
 * was given, so a lease that expired and was handed to another worker
 * changes nothing.
 *
 * Unlike the in-process worker's fetch, this one commits durably: its answer
 * goes to a client over the network, so a fetch the client saw must not be
 * forgotten by a crash (the job would run twice at the same time).
 */
import type { Db } from '../../platform/db/port.js'

export interface PullQueueRow {
  name: string
  pull: boolean
  paused: boolean
  global_concurrency: number | null
  backoff_base_ms: number | null
  backoff_max_ms: number | null
}

export interface PulledRow {
  id: string
  queue: string
  task: string
  payload: unknown
  attempts: number
  max_attempts: number
  lease: string
  locked_until: Date
  run_at: Date
  started_at: Date
  group_key: string | null
  traceparent: string | null
}

/** pull_fetch() (sql/0008): every named queue in one round trip, global concurrency limits counted. */
const FETCH = 'SELECT * FROM pull_fetch($1, $2, $3, $4, $5)'

export interface RunningRow {
  queue: string
  attempts: number
  started_at: Date
}

export class PullStore {
  constructor(private readonly db: Db) {}

  /** The named queues as they are now (missing names are absent). */
  async queues(names: readonly string[]): Promise<PullQueueRow[]> {
    const { rows } = await this.db.query<PullQueueRow>(
      `SELECT name, pull, paused, global_concurrency, backoff_base_ms, backoff_max_ms
         FROM queues WHERE name = ANY ($1::text[])`,
      [names],
    )
    return rows
  }

  /**
   * Lease up to `n` runnable jobs of the pull queues `queues` (of `tasks` only, when given), best
   * first, none of a limited queue past its free slots.
   */
  async fetch(
    queues: readonly string[],
    tasks: readonly string[] | undefined,
    n: number,
    worker: string,
    leaseMs: number,
  ): Promise<PulledRow[]> {
    const { rows } = await this.db.query<PulledRow>(FETCH, [queues, tasks ?? null, n, worker, leaseMs])
    return rows
  }

  /** The attempt a lease holds (queue, attempt number, start), or undefined when the lease is not held. */
  async running(id: string, lease: string): Promise<RunningRow | undefined> {
    const { rows } = await this.db.query<RunningRow>(
      "SELECT queue, attempts, started_at FROM jobs WHERE id = $1 AND lease = $2 AND state = 'active'",
      [id, lease],
    )
    return rows[0]
  }
}
