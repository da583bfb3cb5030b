/**
 * Group commit: requests that arrive while a batch is in the database wait and go together in
 * the next one. Under no load a request goes alone at once (no timer, no added latency); under
 * load batches grow up to `maxBatch` transfers, so one round trip and one commit (one fsync) carry
 * many transfers and throughput grows with load. A request (a linked chain with it) is never split
 * across batches, so its chains stay whole.
 *
 * Batches in flight at once share no account: a request that touches an account of a batch in
 * the database waits for the next batch (and so does every later request touching its accounts,
 * so it is not overtaken on them), instead of going now and waiting in the database on that
 * batch's row locks for a whole round trip. That is what lets two batches overlap, and what
 * lets the ledger's optimistic write (sql/0008) hold without retries in one process. It is
 * only about speed: the database's locks keep the ledger right whatever the batches share.
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
  keys: string[]
  resolve(results: TransferResult[]): void
  reject(err: unknown): void
}

/** Pending transfers' accounts remembered for the posts and voids that name them (bounded). */
const MAX_REMEMBERED_PENDING = 100_000

export class TransferBatcher {
  private queue: Waiting[] = []
  private inFlight = 0
  /** Accounts (and pending ids) of the batches in the database, with how many hold each. */
  private readonly busy = new Map<string, number>()
  private readonly pendingAccounts = new Map<string, string[]>()
  private readonly idle: (() => void)[] = []

  constructor(private readonly o: BatcherOptions) {}

  /** Submit a request's transfers; resolves with their results once their batch committed. */
  submit(transfers: readonly TransferRequest[]): Promise<TransferResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ transfers, keys: this.keysOf(transfers), resolve, reject })
      this.pump()
    })
  }

  /** Resolves when nothing is queued or in flight (shutdown). */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  /**
   * What a request touches: its accounts; for a post or void, its pending transfer's accounts
   * when this batcher saw it made, and the pending id itself (two posts of one hold never
   * overlap).
   */
  private keysOf(transfers: readonly TransferRequest[]): string[] {
    const keys = new Set<string>()
    for (const t of transfers) {
      if (t.debitAccountId) keys.add(t.debitAccountId)
      if (t.creditAccountId) keys.add(t.creditAccountId)
      if (t.pendingId) {
        keys.add(`pending:${t.pendingId}`)
        for (const a of this.pendingAccounts.get(t.pendingId) ?? []) keys.add(a)
      }
    }
    return [...keys]
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const taken: Waiting[] = []
      const left: Waiting[] = []
      // Keys of requests left behind in this pass: later ones that share them wait too.
      const held = new Set<string>()
      const mine = new Set<string>()
      let size = 0
      let full = false
      for (const next of this.queue) {
        if (full) {
          left.push(next)
          continue
        }
        const blocked = next.keys.some((k) => this.busy.has(k) || held.has(k))
        if (blocked || (taken.length > 0 && size + next.transfers.length > this.o.maxBatch)) {
          full = !blocked
          if (!full) for (const k of next.keys) held.add(k)
          left.push(next)
          continue
        }
        taken.push(next)
        size += next.transfers.length
        for (const k of next.keys) mine.add(k)
      }
      if (taken.length === 0) return // everything waits on a batch in flight
      this.queue = left
      for (const k of mine) this.busy.set(k, (this.busy.get(k) ?? 0) + 1)
      this.inFlight++
      void this.run(taken, size, [...mine])
    }
  }

  private async run(taken: Waiting[], size: number, keys: string[]): Promise<void> {
    const batch = taken.flatMap((w) => w.transfers)
    this.o.onBatch?.(size)
    try {
      const results = await this.o.apply(batch)
      this.remember(batch, results)
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
      for (const k of keys) {
        const n = (this.busy.get(k) ?? 1) - 1
        if (n === 0) this.busy.delete(k)
        else this.busy.set(k, n)
      }
      this.inFlight--
      this.pump()
      if (this.inFlight === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f()
    }
  }

  private remember(batch: readonly TransferRequest[], results: readonly TransferResult[]): void {
    batch.forEach((t, i) => {
      if (t.kind !== 'pending' || results[i] !== 'ok' || !t.debitAccountId || !t.creditAccountId) return
      if (this.pendingAccounts.size >= MAX_REMEMBERED_PENDING) {
        const oldest = this.pendingAccounts.keys().next().value
        if (oldest !== undefined) this.pendingAccounts.delete(oldest)
      }
      this.pendingAccounts.set(t.id, [t.debitAccountId, t.creditAccountId])
    })
  }
}
