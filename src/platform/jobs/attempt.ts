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

export class Attempt implements TaskContext {
  private readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private done = false
  private committed = false

  constructor(
    readonly job: FetchedJob,
    private readonly host: AttemptHost,
  ) {}

  get signal(): AbortSignal {
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
    this.timer = setTimeout(this.onTimeout, timeoutMs, timeoutMs)
    let pending: Promise<unknown>
    try {
      pending = Promise.resolve(def.handler(this.job.payload, this))
    } catch (err) {
      pending = Promise.reject(err)
    }
    pending.then(this.onResult, this.onError)
  }

  /** The lease was taken back: stop the handler, write nothing. */
  lose(): void {
    if (this.settle({ kind: 'lost' })) this.controller.abort(new Error('the lease on this job was lost'))
  }

  /** Shutdown: stop the handler and hand the job back. */
  release(): void {
    if (this.settle({ kind: 'released' })) this.controller.abort(new Error('the worker is shutting down'))
  }

  private readonly onResult = (value: unknown): void => {
    this.settle(
      this.committed ? { kind: 'committed' } : { kind: 'completed', result: encodeJobResult(value) },
    )
  }

  private readonly onError = (err: unknown): void => {
    // Completed in a transaction already: a later throw changes nothing.
    if (this.committed) this.settle({ kind: 'committed' })
    else if (err instanceof LeaseLostError) this.settle({ kind: 'lost' })
    else this.settle({ kind: 'failed', ...describeError(err) })
  }

  private readonly onTimeout = (ms: number): void => {
    const err = new Error(`the attempt timed out after ${ms} ms`)
    err.name = 'TimeoutError'
    if (this.settle({ kind: 'failed', ...describeError(err) })) this.controller.abort(err)
  }

  private settle(outcome: Outcome): boolean {
    if (this.done) return false
    this.done = true
    if (this.timer) clearTimeout(this.timer)
    this.host.settled(this, outcome)
    return true
  }
}
