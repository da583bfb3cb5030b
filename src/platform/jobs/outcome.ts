/**
 * What happens to a settled attempt's outcome (attempt.ts): a completion goes
 * to the batching completer, a failure is written with its retry delay (or
 * makes the job dead), a hand-back returns the job without counting the
 * attempt; each is counted in the queue's metrics once its write answers.
 * The worker frees the attempt's slot; this module only writes and counts.
 */
import type { Outcome } from './attempt.js'
import { retryDelayMs } from './backoff.js'
import type { Completer, CompletionDone } from './completer.js'
import { type JobMetrics, sample } from './metrics.js'
import type { Backoff, FetchedJob, TaskRegistry } from './types.js'
import type { WorkerStore } from './worker.store.js'

export interface OutcomeWriterOptions {
  store: WorkerStore
  completer: Completer
  metrics: JobMetrics
  tasks: TaskRegistry
  backoff: Backoff
  /** The worker's id, recorded on each failed attempt. */
  workerId: string
  /** The queue's own retry delays (PUT /jobs/queues/{queue}), over `backoff`. */
  queueBackoff?: (queue: string) => Partial<Backoff> | undefined
}

/**
 * Whether the attempt keeps its lease after settling: until its write lands
 * (completed, failed, released), or not at all (committed with the handler's
 * own transaction, or lost to another worker).
 */
export function needsWrite(outcome: Outcome): boolean {
  return outcome.kind === 'completed' || outcome.kind === 'failed' || outcome.kind === 'released'
}

export class OutcomeWriter {
  constructor(private readonly o: OutcomeWriterOptions) {}

  /**
   * The common case without a promise per job: record a completed attempt's run time and hand it to
   * the completer, which answers `done(ctx, accepted, err)`; the caller counts it (`counted`).
   */
  complete(job: FetchedJob, result: string | null, done: CompletionDone, ctx: unknown): void {
    sample(this.o.metrics.queue(job.queue).runs, (Date.now() - job.startedAt.getTime()) / 1000)
    this.o.completer.complete(job.id, job.lease, result, done, ctx)
  }

  /** Count a completion's answer in its queue's metrics (written: completed; refused: refused). */
  counted(job: FetchedJob, accepted: boolean): void {
    const tally = this.o.metrics.queue(job.queue)
    if (accepted) tally.completed++
    else tally.refused++
  }

  /**
   * Record the attempt's run time and write its outcome; the promise settles
   * when the write did (undefined when the outcome needs no write).
   */
  write(job: FetchedJob, outcome: Outcome): Promise<void> | undefined {
    const tally = this.o.metrics.queue(job.queue)
    sample(tally.runs, (Date.now() - job.startedAt.getTime()) / 1000)
    switch (outcome.kind) {
      case 'completed':
        return new Promise<boolean>((resolve, reject) =>
          this.o.completer.complete(job.id, job.lease, outcome.result, (_, ok, err) =>
            err === undefined ? resolve(ok) : reject(err),
          ),
        ).then((ok) => {
          if (ok) tally.completed++
          else tally.refused++
        })
      case 'failed': {
        // The process's, then the queue's, then the task's own: the most specific wins.
        const backoff = {
          ...this.o.backoff,
          ...this.o.queueBackoff?.(job.queue),
          ...this.o.tasks.get(job.task)?.backoff,
        }
        return this.o.store
          .fail({
            id: job.id,
            lease: job.lease,
            attempt: job.attempts,
            worker: this.o.workerId,
            error: outcome.error,
            stack: outcome.stack,
            startedAt: job.startedAt,
            retryInMs: retryDelayMs(job.attempts, backoff),
          })
          .then((state) => {
            if (state === undefined) tally.refused++
            else {
              tally.failed++
              if (state === 'dead') tally.dead++
            }
          })
      }
      case 'released':
        return this.o.store.release([job.id], [job.lease]).then((n) => {
          tally.released += n
        })
      case 'lost':
        // The lease is someone else's now: nothing to write, the refusal is counted.
        tally.refused++
        return undefined
      case 'committed':
        // Written already, with the handler's transaction (counted there).
        return undefined
    }
  }
}
