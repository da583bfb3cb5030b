/**
 * One attempt of one job in this process: runs the handler under the
 * attempt's timeout and AbortSignal, then hands the outcome to the worker.
 * An attempt settles once: completed, failed, timed out, lost (the lease was
 * taken back) or handed back (shutdown); whatever the handler does after
 * that is ignored. A failure's error and stack are stored as error-report.ts
 * describes them (no absolute machine paths).
 */
import type { Queryable } from '../db/port.js'
import { describeError } from './error-report.js'
import { encodeJobResult } from './limits.js'
import type { FetchedJob, TaskContext, TaskDefinition } from './types.js'

export type Outcome =
  | { kind: 'completed'; result: string | null }
  /** Completed by completeWith(), already written. */
  | { kind: 'committed' }
  | { kind: 'failed'; error: string; stack: string | null }
  | { kind: 'lost' }
  | { kind: 'released' }

/** The part of the worker an attempt reports to. */
export interface AttemptHost {
  settled(attempt: Attempt, outcome: Outcome): void
  progress(job: FetchedJob, value: unknown): Promise<void>
  completeInTx<T>(
    job: FetchedJob,
    fn: (tx: Queryable) => Promise<T>,
    encode: (value: unknown) => string | null,
  ): Promise<T>
}

/** The job was taken back from this worker (its lease expired or it was cancelled). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError'
}

/** The attempt's timer: a module function, so an attempt allocates no closure for it. */
function onAttemptTimeout(attempt: Attempt, ms: number): void {
  attempt.timedOut(ms)
}

export class Attempt implements TaskContext {
  // Made when a handler first reads `signal` (most never do): an AbortController and its signal are
  // among the costliest objects an attempt would otherwise make for every job.
  private controller: AbortController | undefined
  /** Why the attempt was stopped, for a signal made after the fact. */
  private abortReason: unknown
  private timer: NodeJS.Timeout | undefined
  private done = false
  private committed = false

  constructor(
    readonly job: FetchedJob,
    private readonly host: AttemptHost,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason)
    }
    return this.controller.signal
  }

  get isSettled(): boolean {
    return this.done
  }

  progress(value: unknown): Promise<void> {
    return this.host.progress(this.job, value)
  }

  async completeWith<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.done) throw new LeaseLostError('this attempt is over (timed out, lost or handed back)')
    const value = await this.host.completeInTx(this.job, fn, encodeJobResult)
    this.committed = true
    return value
  }

  /** Run the handler (or fail at once when this process has none for the task). */
  run(def: TaskDefinition | undefined, timeoutMs: number): void {
    if (!def) {
      this.settle({ kind: 'failed', error: `UnknownTask: no handler for task ${this.job.task}`, stack: null })
      return
    }
    this.timer = setTimeout(onAttemptTimeout, timeoutMs, this, timeoutMs)
    let pending: Promise<unknown>
    try {
      pending = Promise.resolve(def.handler(this.job.payload, this))
    } catch (err) {
      pending = Promise.reject(err)
    }
    // Settled in a later microtask even when the handler returns at once: the worker's loop that
    // started it is not re-entered.
    pending.then(
      (value) => this.onResult(value),
      (err) => this.onError(err),
    )
  }

  /** The lease was taken back: stop the handler, write nothing. */
  lose(): void {
    if (this.settle({ kind: 'lost' })) this.abort(new Error('the lease on this job was lost'))
  }

  /** Shutdown: stop the handler and hand the job back. */
  release(): void {
    if (this.settle({ kind: 'released' })) this.abort(new Error('the worker is shutting down'))
  }

  /** The attempt's timeout passed: a failed attempt, its signal aborted. */
  timedOut(ms: number): void {
    const err = new Error(`the attempt timed out after ${ms} ms`)
    err.name = 'TimeoutError'
    if (this.settle({ kind: 'failed', ...describeError(err) })) this.abort(err)
  }

  private abort(reason: unknown): void {
    this.abortReason = reason
    this.controller?.abort(reason)
  }

  private onResult(value: unknown): void {
    this.settle(
      this.committed ? { kind: 'committed' } : { kind: 'completed', result: encodeJobResult(value) },
    )
  }

  private onError(err: unknown): void {
    // Completed in a transaction already: a later throw changes nothing.
    if (this.committed) this.settle({ kind: 'committed' })
    else if (err instanceof LeaseLostError) this.settle({ kind: 'lost' })
    else this.settle({ kind: 'failed', ...describeError(err) })
  }

  private settle(outcome: Outcome): boolean {
    if (this.done) return false
    this.done = true
    if (this.timer) clearTimeout(this.timer)
    this.host.settled(this, outcome)
    return true
  }
}
