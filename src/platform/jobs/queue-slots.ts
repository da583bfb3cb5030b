/**
 * The queues a worker serves, with their settings (paused, concurrency,
 * rate limits) re-read from the `queues` table on every poll, and the
 * worker's bookkeeping per queue: running jobs, the fetch in flight, and
 * the wake-up generation that tells "drained" from "work arrived meanwhile".
 */
import type { Db } from '../db/port.js'
import type { QueueLimits } from './rate-limits.js'
import type { FetchedJob } from './types.js'

export class QueueSlot implements QueueLimits {
  paused = false
  concurrency: number
  rateLimit: number | null = null
  ratePeriodMs: number | null = null
  groupRateLimit: number | null = null
  groupRatePeriodMs: number | null = null
  /** Jobs of the queue active at once across every process (null: no limit; sql/0003). */
  globalConcurrency: number | null = null
  /** The queue's retry delays, over the process's (a task's own still win). */
  backoffBaseMs: number | null = null
  backoffMaxMs: number | null = null
  running = 0
  /** Jobs fetched ahead of free slots, leased, not started yet. */
  buffer: FetchedJob[] = []
  /** How many jobs to hold ahead: the prefetch, doubled by each full fetch (a backlog) up to a fetch batch. */
  ahead: number
  fetching: Promise<void> | undefined
  /** Incremented by every wake-up (NOTIFY, poll). */
  wakes = 1
  /** The wake-up generation at which a fetch found the queue drained. */
  emptyAt = 0
  limitedUntil = 0

  constructor(
    readonly name: string,
    defaultConcurrency: number,
    prefetch = 0,
  ) {
    this.concurrency = defaultConcurrency
    this.ahead = prefetch
  }
}

interface QueueRow {
  name: string
  paused: boolean
  concurrency: number | null
  rate_limit: number | null
  rate_period_ms: number | null
  group_rate_limit: number | null
  group_rate_period_ms: number | null
  global_concurrency: number | null
  backoff_base_ms: number | null
  backoff_max_ms: number | null
  pull: boolean
  system: string | null
}

/**
 * Which queues a process's worker takes jobs of, by owner (sql/0009): those of the systems it runs
 * (it has their handlers) and, where the jobs system runs, those no system owns.
 */
export interface QueueOwners {
  systems: ReadonlySet<string>
  undeclared: boolean
}

export class QueueSlots {
  private readonly slots = new Map<string, QueueSlot>()
  /** Queues other systems own, as of the last refresh: their wake-ups are not for this worker. */
  private foreign = new Set<string>()

  constructor(
    private readonly db: Db,
    private readonly defaultConcurrency: number,
    private readonly only?: readonly string[],
    private readonly prefetch = 0,
    private readonly owners?: QueueOwners,
  ) {}

  /**
   * Whether this worker may take jobs of `name` (all queues, unless it was given a list; not those
   * of systems this process does not run, as of the last refresh: the poll re-reads them).
   */
  serves(name: string): boolean {
    return (!this.only || this.only.includes(name)) && !this.foreign.has(name)
  }

  private ownedHere(system: string | null): boolean {
    if (!this.owners) return true
    return system === null ? this.owners.undeclared : this.owners.systems.has(system)
  }

  get(name: string): QueueSlot | undefined {
    return this.slots.get(name)
  }

  all(): IterableIterator<QueueSlot> {
    return this.slots.values()
  }

  /** Re-read queue settings; new queues appear, removed ones stop being fetched. */
  async refresh(): Promise<void> {
    const { rows } = await this.db.query<QueueRow>(
      `SELECT name, paused, concurrency, rate_limit, rate_period_ms, group_rate_limit, group_rate_period_ms,
              global_concurrency, backoff_base_ms, backoff_max_ms, pull, system FROM queues`,
    )
    const seen = new Set<string>()
    const foreign = new Set<string>()
    for (const r of rows) {
      if (this.only && !this.only.includes(r.name)) continue
      // Another system's queue: this process does not have its handlers.
      if (!this.ownedHere(r.system)) {
        foreign.add(r.name)
        continue
      }
      seen.add(r.name)
      let s = this.slots.get(r.name)
      if (!s) {
        s = new QueueSlot(r.name, this.defaultConcurrency, this.prefetch)
        this.slots.set(r.name, s)
      }
      // A pull queue's jobs are run by external workers over HTTP (pull.ts): this worker never fetches them.
      s.paused = r.paused || r.pull
      s.concurrency = r.concurrency ?? this.defaultConcurrency
      s.rateLimit = r.rate_limit
      s.ratePeriodMs = r.rate_period_ms
      s.groupRateLimit = r.group_rate_limit
      s.groupRatePeriodMs = r.group_rate_period_ms
      s.globalConcurrency = r.global_concurrency
      s.backoffBaseMs = r.backoff_base_ms
      s.backoffMaxMs = r.backoff_max_ms
    }
    for (const name of this.slots.keys()) if (!seen.has(name)) this.slots.delete(name)
    this.foreign = foreign
  }

  /** Resolves when no fetch is in flight. */
  async fetchesDone(): Promise<void> {
    await Promise.allSettled([...this.slots.values()].map((s) => s.fetching))
  }
}

/**
 * How far ahead to fetch next, after a fetch that asked for `want` jobs and got `got`. A full fetch
 * means a backlog: twice as far ahead (up to `batch`), so the round trip is paid for more jobs. One
 * that found less than half of what it asked for means the queue is keeping up: back to the
 * configured `base`, so an idle process does not hold jobs another could start. In between (a
 * backlog fed in blocks, smaller than the prefetch grew to), the same again: going back to `base`
 * there made a fetch serve ~50 jobs at concurrency 1 where it serves ~190 now.
 */
export function nextAhead(ahead: number, got: number, want: number, base: number, batch: number): number {
  if (base === 0 || 2 * got < want) return base
  if (got === want) return Math.min(ahead * 2, batch)
  return ahead
}
