/**
 * The worker: takes jobs from PostgreSQL and runs them, with a concurrency
 * per process and per queue. It sleeps until a NOTIFY says a queue has work
 * (add_job() sends one at commit), polls every JOBS_POLL_MS for delayed jobs
 * and lost notifications, fetches as many jobs as it has free slots in one
 * `FOR UPDATE SKIP LOCKED` statement (on a connection of its own, so a
 * wake-up's fetch never waits for the pool), and holds each job under a lease it
 * renews by heartbeat (lease-heartbeat.ts). A settled attempt's outcome is written by outcome.ts
 * (completions batched by completer.ts).
 *
 * Stop: no new fetches; running jobs get JOBS_SHUTDOWN_GRACE_MS to finish;
 * the rest are aborted and handed back (state waiting, the attempt not
 * counted); every write is awaited. No job is left locked.
 */

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { DedicatedConnection, Queryable, Unlisten } from '../db/port.js'
import type { Worker } from '../system.js'
import { Attempt, type AttemptHost, LeaseLostError, type Outcome } from './attempt.js'
import { Completer } from './completer.js'
import { wakeWorkers } from './enqueue.js'
import { withJobTrace } from './job-trace.js'
import { renewLeases } from './lease-heartbeat.js'
import { PROGRESS_LIMIT } from './limits.js'
import { sample } from './metrics.js'
import { needsWrite, OutcomeWriter } from './outcome.js'
import { nextAhead, type QueueSlot, QueueSlots } from './queue-slots.js'
import type { Backoff, FetchedJob } from './types.js'
import { WorkerStore } from './worker.store.js'
import type { WorkerOptions } from './worker-options.js'

export type { WorkerOptions } from './worker-options.js'

export class JobWorker implements Worker, AttemptHost {
  readonly name = 'jobs:worker'
  readonly id: string
  private readonly store: WorkerStore
  private readonly completer: Completer
  private readonly outcomes: OutcomeWriter
  private readonly slots: QueueSlots
  /** Attempts this process holds a lease on: running, or settled with their write in flight. */
  private readonly held = new Map<string, Attempt>()
  private running = 0
  private stopping = false
  private started = false
  private unlisten: Unlisten | undefined
  /** The fetch's own connection: a wake-up's fetch never queues behind the pool (the pool when busy). */
  private fetchConn: DedicatedConnection | undefined
  /** The completions' own connection, where their statement is prepared once (the pool when busy). */
  private writeConn: DedicatedConnection | undefined
  private pollTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private readonly writes = new Set<Promise<unknown>>()
  private idleWaiters: (() => void)[] = []

  constructor(private readonly o: WorkerOptions) {
    this.id = o.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.store = new WorkerStore(o.db)
    this.completer = new Completer(this.store, undefined, () =>
      this.writeConn?.busy === false ? this.writeConn : undefined,
    )
    this.outcomes = new OutcomeWriter({
      store: this.store,
      completer: this.completer,
      metrics: o.metrics,
      tasks: o.tasks,
      backoff: o.backoff,
      workerId: this.id,
      queueBackoff: (queue) => {
        const q = this.slots.get(queue)
        if (!q) return undefined
        const b: Partial<Backoff> = {}
        if (q.backoffBaseMs !== null) b.baseMs = q.backoffBaseMs
        if (q.backoffMaxMs !== null) b.maxMs = q.backoffMaxMs
        return b
      },
    })
    this.slots = new QueueSlots(o.db, o.queueConcurrency, o.queues, o.prefetch ?? 0, o.owners)
  }

  /** Jobs running in this process now. */
  get activeCount(): number {
    return this.running
  }

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    await this.slots.refresh()
    const dedicated = () =>
      this.o.db.dedicated().catch((err) => {
        this.logError(err)
        return undefined
      })
    this.fetchConn = await dedicated()
    this.writeConn = await dedicated()
    this.unlisten = await this.o.db.listen(this.store.channel, this.onNotify)
    this.pollTimer = setInterval(this.onPoll, this.o.pollMs)
    this.pollTimer.unref()
    const hb = this.o.heartbeatMs ?? Math.max(Math.floor(this.o.leaseMs / 3), 10)
    if (hb > 0) {
      this.heartbeatTimer = setInterval(this.onHeartbeat, hb)
      this.heartbeatTimer.unref()
    }
    for (const q of this.slots.all()) this.pump(q)
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopping) return
    this.stopping = true
    if (this.pollTimer) clearInterval(this.pollTimer)
    await this.unlisten?.().catch(() => {})
    // Fetches in flight finish first (what they bring back is handed back at once).
    await this.slots.fetchesDone()
    for (const q of this.slots.all()) this.releaseBuffer(q)
    if (this.running > 0) {
      const grace = new Promise<void>((r) => setTimeout(r, this.o.shutdownGraceMs).unref())
      await Promise.race([grace, new Promise<void>((r) => this.idleWaiters.push(r))])
    }
    const leftover = [...this.held.values()].filter((a) => !a.isSettled)
    for (const a of leftover) a.release()
    await this.flushWrites()
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    await this.fetchConn?.close().catch(() => {})
    await this.writeConn?.close().catch(() => {})
  }

  /** Wake a queue now (tests; the NOTIFY does this in production). */
  wake(queue?: string): void {
    for (const q of this.slots.all()) {
      if (queue && q.name !== queue) continue
      if (q.paused) this.releaseBuffer(q)
      else this.poke(q)
    }
  }

  /** Hand back the jobs fetched ahead and not started (paused queue, shutdown). */
  private releaseBuffer(q: QueueSlot): void {
    if (q.buffer.length === 0) return
    const jobs = q.buffer.splice(0)
    this.track(
      this.store.release(
        jobs.map((j) => j.id),
        jobs.map((j) => j.lease),
      ),
    )
  }

  private async flushWrites(): Promise<void> {
    while (this.writes.size > 0 || this.completer.size > 0) {
      await Promise.allSettled([...this.writes])
      await this.completer.drain()
    }
  }

  /** A NOTIFY: `queue` has new work; `!queue`: its settings changed (created, paused, resumed). */
  private readonly onNotify = (payload: string): void => {
    const settings = payload.startsWith('!')
    const queue = settings ? payload.slice(1) : payload
    // Another worker's queue (this one serves only some): not a reason to re-read the settings.
    if (!this.slots.serves(queue)) return
    const q = this.slots.get(queue)
    if (q && !settings) this.poke(q)
    else void this.slots.refresh().then(() => this.wake(queue), this.logError)
  }

  private readonly onPoll = (): void => {
    this.slots.refresh().then(() => this.wake(), this.logError)
  }

  private readonly logError = (err: unknown): void => {
    if (!this.stopping) this.o.log.warn({ err }, 'jobs worker: database call failed; retrying')
  }

  private poke(q: QueueSlot): void {
    q.wakes++
    this.pump(q)
  }

  /**
   * Start fetched-ahead jobs in free slots; then fetch for `q` if it may have
   * work, has room (free slots plus the prefetch) and no fetch is in flight.
   */
  private pump(q: QueueSlot): void {
    if (this.stopping || q.paused) return
    while (q.buffer.length > 0 && q.running < q.concurrency && this.running < this.o.concurrency)
      this.begin(q, q.buffer.shift()!)
    if (q.fetching || q.wakes === q.emptyAt || q.limitedUntil > Date.now()) return
    const free = Math.max(Math.min(q.concurrency - q.running, this.o.concurrency - this.running), 0)
    // No prefetch under a global limit: a job held here, not running, would keep another process's slot.
    const ahead = q.globalConcurrency === null ? q.ahead : 0
    // Refill once the buffer is down to half: a fetch for every slot that frees would cost the
    // database a statement per job or two, where one per half a buffer does the same work.
    if (q.buffer.length > ahead >> 1) return
    const want = Math.min(free + ahead - q.buffer.length, this.o.fetchBatch)
    if (want <= 0) return
    q.fetching = this.fetch(q, want)
  }

  private async fetch(q: QueueSlot, n: number): Promise<void> {
    const gen = q.wakes
    let got = 0
    let want = n
    try {
      const queueLimiter = this.o.limits.queue(q.name, q)
      if (queueLimiter) {
        const peek = await queueLimiter.peek(q.name)
        if (!peek.allowed) {
          this.limitFor(q, peek.retryAfterMs)
          return
        }
        want = Math.min(want, Math.max(peek.remaining + 1, 1))
      }
      const conn = this.fetchConn?.busy === false ? this.fetchConn : undefined
      this.o.metrics.queue(q.name).fetches++
      const jobs =
        q.globalConcurrency === null
          ? await this.store.fetch(q.name, want, this.id, this.o.leaseMs, conn)
          : await this.store.fetchLimited(q.name, want, this.id, this.o.leaseMs, conn)
      got = jobs.length
      if (this.stopping) {
        await this.store.release(
          jobs.map((j) => j.id),
          jobs.map((j) => j.lease),
        )
        return
      }
      for (const job of jobs) q.buffer.push(job)
      q.ahead = nextAhead(q.ahead, got, want, this.o.prefetch ?? 0, this.o.fetchBatch)
    } catch (err) {
      this.logError(err)
      got = -1
    } finally {
      q.fetching = undefined
      // Fewer jobs than asked: the queue is drained until the next wake-up (unless one came meanwhile).
      if (got >= 0 && got < want) q.emptyAt = gen
      if (got >= 0) this.pump(q)
    }
  }

  private limitFor(q: QueueSlot, ms: number): void {
    q.limitedUntil = Date.now() + ms
    setTimeout(() => this.pump(q), ms + 1).unref()
  }

  private begin(q: QueueSlot, job: FetchedJob): void {
    const attempt = new Attempt(job, this)
    this.held.set(job.id, attempt)
    q.running++
    this.running++
    sample(
      this.o.metrics.queue(q.name).waits,
      Math.max(0, job.startedAt.getTime() - job.runAt.getTime()) / 1000,
    )
    if (q.rateLimit || (q.groupRateLimit && job.groupKey)) void this.checkLimitsThenRun(q, attempt)
    else this.runAttempt(attempt)
  }

  /** Take the job's units from the queue's and its group's budgets; over either, hand it back for later. */
  private async checkLimitsThenRun(q: QueueSlot, attempt: Attempt): Promise<void> {
    const job = attempt.job
    try {
      const queueLimiter = this.o.limits.queue(q.name, q)
      let r = queueLimiter ? await queueLimiter.consume(q.name) : undefined
      const queueDenied = r?.allowed === false
      if (!queueDenied && job.groupKey) {
        const group = this.o.limits.group(q.name, q)
        r = group ? await group.consume(`${q.name}:${job.groupKey}`) : r
      }
      if (r && !r.allowed) {
        // Runnable again when the budget allows; other groups' jobs come first meanwhile.
        this.o.metrics.queue(q.name).rateLimited++
        this.unhold(attempt, false)
        this.track(this.store.release([job.id], [job.lease], Math.max(r.retryAfterMs, 1)))
        if (queueDenied) this.limitFor(q, r.retryAfterMs)
        return
      }
    } catch (err) {
      this.logError(err)
    }
    this.runAttempt(attempt)
  }

  private runAttempt(attempt: Attempt): void {
    const job = attempt.job
    const def = this.o.tasks.get(job.task)
    const timeoutMs = job.timeoutMs ?? def?.timeoutMs ?? this.o.defaultTimeoutMs
    if (job.traceparent) void withJobTrace(this.o.tracing, job, async () => attempt.run(def, timeoutMs))
    else attempt.run(def, timeoutMs)
  }

  /** AttemptHost: an attempt settled; free its slot, then write and count its outcome (outcome.ts). */
  settled(attempt: Attempt, outcome: Outcome): void {
    this.unhold(attempt, needsWrite(outcome))
    if (outcome.kind === 'completed' && this.slots.get(attempt.job.queue)?.globalConcurrency == null) {
      // The hot path: answered by callback, no promise per job; stop() waits for it by draining the completer.
      this.outcomes.complete(attempt.job, outcome.result, this.completed, attempt)
      return
    }
    const write = this.outcomes.write(attempt.job, outcome)
    if (write) this.track(this.wakeLimited(write, attempt.job.queue), attempt)
    else if (outcome.kind === 'committed') void this.wakeLimited(Promise.resolve(), attempt.job.queue)
  }

  /** The completer's answer for a completion of `settled()`'s hot path: counted, and the lease let go. */
  private readonly completed = (ctx: unknown, accepted: boolean, err?: unknown): void => {
    const attempt = ctx as Attempt
    // Not written: the lease expires and the sweeper gives the job back (at-least-once).
    if (err !== undefined) this.logError(err)
    else this.outcomes.counted(attempt.job, accepted)
    if (this.held.get(attempt.job.id) === attempt) this.held.delete(attempt.job.id)
  }

  /**
   * Under a global limit, a slot freed here may be one another process waits for (its fetch came back
   * short and it sleeps until a wake-up): once the write has landed, wake every worker of the queue.
   */
  private wakeLimited(write: Promise<void>, queue: string): Promise<void> {
    if (this.slots.get(queue)?.globalConcurrency == null) return write
    return write.then(() => wakeWorkers(this.o.db, this.store.channel, queue))
  }

  /** Free the attempt's slots (it keeps its lease until its write lands, when `keepLease`). */
  private unhold(attempt: Attempt, keepLease: boolean): void {
    const q = this.slots.get(attempt.job.queue)
    if (q) q.running--
    this.running--
    if (!keepLease) this.held.delete(attempt.job.id)
    if (this.running === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w()
    }
    if (q) this.pump(q)
  }

  /** Keep a write's promise until it settles; shutdown waits for all of them. */
  private track(p: Promise<unknown>, attempt?: Attempt): void {
    const tracked = p
      .catch((err) => {
        // Not written: the lease expires and the sweeper gives the job back (at-least-once).
        this.logError(err)
      })
      .finally(() => {
        this.writes.delete(tracked)
        if (attempt && this.held.get(attempt.job.id) === attempt) this.held.delete(attempt.job.id)
      })
    this.writes.add(tracked)
  }

  /** AttemptHost: the handler's transaction, which also completes the job under its lease. */
  async completeInTx<T>(
    job: FetchedJob,
    fn: (tx: Queryable) => Promise<T>,
    encode: (value: unknown) => string | null,
  ): Promise<T> {
    // A refusal is counted once, when the attempt settles as lost (attempt.ts).
    return this.o.db.tx(async (tx) => {
      const value = await fn(tx)
      const accepted = await this.store.complete(
        [{ id: job.id, lease: job.lease, result: encode(value) }],
        tx,
      )
      if (!accepted.has(job.id)) throw new LeaseLostError(`job ${job.id} was taken back from this worker`)
      this.o.metrics.queue(job.queue).completed++
      return value
    })
  }

  /** AttemptHost: store progress under the attempt's lease. */
  async progress(job: FetchedJob, value: unknown): Promise<void> {
    const text = JSON.stringify(value ?? null)
    if (text.length > PROGRESS_LIMIT) throw new RangeError(`progress is over ${PROGRESS_LIMIT} bytes`)
    await this.store.progress(job.id, job.lease, text)
  }

  private readonly onHeartbeat = (): void => {
    renewLeases(this.store, this.held, this.slots, this.o.leaseMs).catch(this.logError)
  }
}
