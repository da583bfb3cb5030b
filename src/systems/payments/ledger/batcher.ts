/**
 * Group commit: requests that arrive while a batch is in the database wait and go together in
 * the next one. Under no load a request goes alone at once (no timer, no added latency); under
 * load batches grow up to `maxBatch` transfers, so one round trip and one commit (one fsync) carry
 * many transfers and throughput grows with load. A request (a linked chain with it) is never split
 * across batches, so its chains stay whole.
 */
import type { TransferRequest, TransferResult } from './ports.js'

export interface BatcherOptions {
  /** Apply one batch (one transaction, one round trip). */
  apply(batch: readonly TransferRequest[]): Promise<TransferResult[]>
  /** Transfers per batch at most (a single request larger than this goes alone). */
  maxBatch: number
  /** Batches in the database at once (each on its own connection). */
  maxInFlight: number
  /** Called with each batch's size, for metrics. */
  onBatch?: (size: number) => void
}

interface Waiting {
  transfers: readonly TransferRequest[]
  resolve(results: TransferResult[]): void
  reject(err: unknown): void
}

export class TransferBatcher {
  private queue: Waiting[] = []
  private inFlight = 0
  private readonly idle: (() => void)[] = []

  constructor(private readonly o: BatcherOptions) {}

  /** Submit a request's transfers; resolves with their results once their batch committed. */
  submit(transfers: readonly TransferRequest[]): Promise<TransferResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ transfers, resolve, reject })
      this.pump()
    })
  }

  /** Resolves when nothing is queued or in flight (shutdown). */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const taken: Waiting[] = []
      let size = 0
      while (this.queue.length > 0) {
        const next = this.queue[0]!
        if (taken.length > 0 && size + next.transfers.length > this.o.maxBatch) break
        taken.push(next)
        size += next.transfers.length
        this.queue.shift()
      }
      this.inFlight++
      void this.run(taken, size)
    }
  }

  private async run(taken: Waiting[], size: number): Promise<void> {
    const batch = taken.flatMap((w) => w.transfers)
    this.o.onBatch?.(size)
    try {
      const results = await this.o.apply(batch)
      let at = 0
      for (const w of taken) {
        w.resolve(results.slice(at, at + w.transfers.length))
        at += w.transfers.length
      }
    } catch (err) {
      // The transaction rolled back (or its outcome is unknown): each request fails, and a retry
      // with the same ids is safe either way (idempotent transfer ids).
      for (const w of taken) w.reject(err)
    } finally {
      this.inFlight--
      this.pump()
      if (this.inFlight === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f()
    }
  }
}
