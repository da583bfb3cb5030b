/**
 * Batches completions. A handler that returns hands its job here; the first
 * completion of an idle moment is written at once, and those that arrive
 * while a write is in flight are written together by the next one. Under
 * load that is one statement per batch instead of one per job; idle, it adds
 * no delay. Each completion is answered through a callback, not a promise of
 * its own: at tens of thousands of jobs a second, the promises (and the
 * handlers chained on them) per job were a good part of the worker's garbage.
 */
import type { Queryable } from '../db/port.js'
import type { Completion, WorkerStore } from './worker.store.js'

/**
 * A completion's answer, with the `ctx` it was handed in with: accepted (written), refused (the lease
 * was lost), or the write failed (`err`).
 */
export type CompletionDone = (ctx: unknown, accepted: boolean, err?: unknown) => void

interface Pending extends Completion {
  done: CompletionDone
  ctx: unknown
}

export class Completer {
  private pending: Pending[] = []
  private flushing: Promise<void> | undefined

  /**
   * `conn`: the connection to write on when it is free (the worker's own, where the statement is
   * prepared once: planning the completion cost ~0.5 ms a statement, ~5 us a job in batches of 100),
   * else undefined and the pool serves.
   */
  constructor(
    private readonly store: WorkerStore,
    private readonly maxBatch = 1000,
    private readonly conn: () => Queryable | undefined = () => undefined,
  ) {}

  /** Write the completion; `done(ctx, ...)` is called once: true when written, false when refused, or with the error. */
  complete(id: string, lease: string, result: string | null, done: CompletionDone, ctx?: unknown): void {
    this.pending.push({ id, lease, result, done, ctx })
    if (!this.flushing) this.flushing = this.flush()
  }

  /** Completions not yet written. */
  get size(): number {
    return this.pending.length
  }

  /** Wait until everything handed in so far is written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch =
          this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch)
        this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch)
        let accepted: Set<string>
        try {
          accepted = await this.store.complete(batch, undefined, this.conn())
        } catch (err) {
          for (const p of batch) p.done(p.ctx, false, err)
          continue
        }
        for (const p of batch) p.done(p.ctx, accepted.has(p.id))
      }
    } finally {
      this.flushing = undefined
    }
  }
}
