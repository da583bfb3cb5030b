/**
 * The pull API's domain: workers in any language lease jobs of pull queues
 * over HTTP, extend their leases, and complete or fail them (pull.routes.ts).
 *
 * A lease is the job's fencing token (`jobs.lease`, +1 on every fetch, never
 * reset), handed to the client as `leaseToken`. Every later write names it,
 * so a worker whose lease expired (it hung, or died and was restarted) and
 * whose job was leased again to someone else is refused (409
 * JOBS_LEASE_LOST) and changes nothing. An expired lease is taken back by
 * the stalled-job sweep as for in-process workers: the job is retried.
 *
 * A queue's global concurrency limit holds for pull clients too: a leased
 * job holds one of its slots until it is completed, failed, or its lease
 * expires (pull_fetch(), sql/0008).
 *
 * A fetch may wait (`waitMs`, long polling) for jobs: it is woken by the
 * queue's NOTIFY, and polls once a second for delayed jobs coming due. A
 * client that disconnects while it waits takes nothing: jobs fetched for a
 * request whose connection closed are handed back at once.
 */
import type { Db, Unlisten } from '../../platform/db/port.js'
import { retryDelayMs } from '../../platform/jobs/backoff.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import { encodeJobResult } from '../../platform/jobs/limits.js'
import type { Backoff } from '../../platform/jobs/types.js'
import { isJobId, isLeaseToken } from '../../platform/jobs/validate.js'
import type { WorkerStore } from '../../platform/jobs/worker.store.js'
import type { PullQueueRow, PullStore } from './pull.store.js'

export interface PullServiceOptions {
  db: Db
  pull: PullStore
  store: WorkerStore
  backoff: Backoff
}

export interface FetchRequest {
  worker: string
  queues: string[]
  tasks?: string[]
  max: number
  leaseMs: number
  waitMs: number
}

/** A leased job as a pull client receives it. */
export interface PulledJob {
  id: string
  queue: string
  task: string
  payload: unknown
  attempt: number
  maxAttempts: number
  leaseToken: string
  leaseExpiresAt: string
  runAt: string
  groupKey: string | null
  traceparent: string | null
}

/** How often a waiting fetch looks again without a notification (delayed jobs coming due). */
const WAIT_POLL_MS = 1_000

interface Waiter {
  queues: ReadonlySet<string>
  wake: () => void
}

export class PullService {
  /** A worker of the system (started and stopped with the others): it listens for enqueues. */
  readonly name = 'jobs-pull'
  private readonly waiters = new Set<Waiter>()
  private unlisten: Unlisten | undefined

  constructor(private readonly o: PullServiceOptions) {}

  /** Listen for enqueues, so that waiting fetches wake at once. */
  async start(): Promise<void> {
    this.unlisten = await this.o.db.listen(`${this.o.db.schema}_jobs`, (payload) => {
      const queue = payload?.startsWith('!') ? payload.slice(1) : payload
      for (const w of this.waiters) if (!queue || w.queues.has(queue)) w.wake()
    })
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w.wake()
    await this.unlisten?.()
  }

  /** The queues of a fetch, checked: each exists (404) and is a pull queue (409). */
  private async checkQueues(names: string[]): Promise<PullQueueRow[]> {
    const rows = await this.o.pull.queues(names)
    for (const name of names) {
      const q = rows.find((r) => r.name === name)
      if (!q) throw JobsErrors.unknownQueue(name)
      if (!q.pull) throw JobsErrors.notAPullQueue(name)
    }
    return rows
  }

  /**
   * Lease up to `max` jobs of the given pull queues, waiting up to `waitMs`
   * for one. `closed` is aborted when the client goes away: what was fetched
   * for it is handed back, and it gets nothing.
   */
  async fetch(r: FetchRequest, closed: AbortSignal): Promise<PulledJob[]> {
    await this.checkQueues(r.queues)
    const deadline = Date.now() + r.waitMs
    for (;;) {
      const jobs = await this.fetchOnce(r)
      if (closed.aborted) {
        await this.handBack(jobs)
        return []
      }
      if (jobs.length > 0 || Date.now() >= deadline) return jobs
      await this.waitForWork(new Set(r.queues), Math.min(deadline - Date.now(), WAIT_POLL_MS), closed)
      if (closed.aborted) return []
    }
  }

  private async fetchOnce(r: FetchRequest): Promise<PulledJob[]> {
    const rows = await this.o.pull.fetch(r.queues, r.tasks, r.max, r.worker, r.leaseMs)
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      task: row.task,
      payload: row.payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      leaseToken: row.lease,
      leaseExpiresAt: row.locked_until.toISOString(),
      runAt: row.run_at.toISOString(),
      groupKey: row.group_key,
      traceparent: row.traceparent,
    }))
  }

  private async handBack(jobs: PulledJob[]): Promise<void> {
    if (jobs.length === 0) return
    await this.o.store.release(
      jobs.map((j) => j.id),
      jobs.map((j) => j.leaseToken),
    )
  }

  private waitForWork(queues: ReadonlySet<string>, ms: number, closed: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        closed.removeEventListener('abort', done)
        resolve()
      }
      const waiter: Waiter = { queues, wake: done }
      const timer = setTimeout(done, Math.max(0, ms))
      this.waiters.add(waiter)
      closed.addEventListener('abort', done, { once: true })
    })
  }

  /** Extend the leases of running jobs; the ones no longer held are listed as lost. */
  async heartbeat(
    jobs: { id: string; leaseToken: string }[],
    leaseMs: number,
  ): Promise<{ held: string[]; lost: string[] }> {
    // An id or token past bigint (19 digits pass the schema) is never held: lost, not a 500.
    const valid = jobs.filter((j) => isJobId(j.id) && isLeaseToken(j.leaseToken))
    const held = await this.o.store.heartbeat(
      valid.map((j) => j.id),
      valid.map((j) => j.leaseToken),
      leaseMs,
    )
    return {
      held: jobs.filter((j) => held.has(j.id)).map((j) => j.id),
      lost: jobs.filter((j) => !held.has(j.id)).map((j) => j.id),
    }
  }

  /** Complete a leased job with its result, durably; 409 JOBS_LEASE_LOST when the lease is not held. */
  async complete(id: string, leaseToken: string, result: unknown): Promise<void> {
    if (!isJobId(id) || !isLeaseToken(leaseToken)) throw JobsErrors.leaseLost(id)
    const text = encodeJobResult(result)
    const accepted = await this.o.db.tx((tx) =>
      this.o.store.complete([{ id, lease: leaseToken, result: text }], tx),
    )
    if (!accepted.has(id)) throw JobsErrors.leaseLost(id)
  }

  /**
   * Fail a leased job's attempt: retried after `retryInMs` (default: the
   * queue's backoff, else the process's) or dead when no attempt is left.
   */
  async fail(
    id: string,
    leaseToken: string,
    worker: string,
    error: string,
    stack: string | undefined,
    retryInMs: number | undefined,
  ): Promise<'failed' | 'dead'> {
    if (!isJobId(id) || !isLeaseToken(leaseToken)) throw JobsErrors.leaseLost(id)
    const running = await this.o.pull.running(id, leaseToken)
    if (!running) throw JobsErrors.leaseLost(id)
    const [q] = await this.o.pull.queues([running.queue])
    const backoff = {
      baseMs: q?.backoff_base_ms ?? this.o.backoff.baseMs,
      maxMs: q?.backoff_max_ms ?? this.o.backoff.maxMs,
    }
    const state = await this.o.store.fail({
      id,
      lease: leaseToken,
      attempt: running.attempts,
      worker,
      error,
      stack: stack ?? null,
      startedAt: running.started_at,
      retryInMs: retryInMs ?? retryDelayMs(running.attempts, backoff),
    })
    if (state === undefined) throw JobsErrors.leaseLost(id)
    return state === 'dead' ? 'dead' : 'failed'
  }
}
