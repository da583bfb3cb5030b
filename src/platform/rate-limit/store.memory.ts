/**
 * The in-process store: a Map from key to the algorithm's state, for one
 * process (tests, the embedded mode, or a local pre-filter in front of Redis).
 * Each operation runs synchronously from read to write, so concurrent callers
 * on the event loop cannot interleave inside a decision: it is atomic.
 *
 * Memory stays bounded two ways:
 * - expiry: an entry is fresh again after its `resetMs`, so it is dropped then
 *   (lazily on access, and a couple of entries are checked on every call by
 *   a cursor that laps the map, which sweeps idle keys without a timer);
 * - `maxKeys`: beyond it the least recently used key is evicted. An evicted
 *   key that was still limited starts fresh (fails open), so size it above
 *   the number of keys active within one period.
 * Map insertion order is the LRU order: a touched key is re-inserted at the end.
 *
 * Memory per key (V8, 64-bit, measured by compare.ts with 11-character keys):
 * ~150 bytes for the window and bucket algorithms (Map entry, key string, a
 * small object); ~530 bytes for sliding-window-log with one entry (two
 * arrays), growing with each admitted millisecond kept.
 */
import { applyOp } from './algorithm.js'
import { algorithms } from './algorithms.js'
import type { AlgorithmName, Limits, Op, RateLimitResult, RateLimitStore } from './types.js'

export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; injectable for tests. Should not go backwards. Default Date.now. */
  clock?: () => number
  /** The most keys kept at once; default 100 000. */
  maxKeys?: number
  /** State to share with other limiters of the same algorithm and period (see createMemoryState). */
  state?: MemoryState
}

/**
 * The keys of a memory store, shareable between limiters of one algorithm and
 * period whose limits differ: a service that reloads its configuration keeps
 * counting a key where it was when only the limit changed (as the Redis store
 * does with a shared namespace). Opaque to callers.
 */
export interface MemoryState {
  readonly __memoryState: true
}

/** A fresh, empty state for `store: { memory }`. */
export function createMemoryState(): MemoryState {
  return new Map<string, Entry>() as unknown as MemoryState
}

interface Entry {
  state: unknown
  /** When the state becomes fresh again (clock ms): the entry can be dropped from then on. */
  expiresAt: number
}

/** How many of the least recently used entries each call checks for expiry. */
const SWEEP_PER_CALL = 2

export interface MemoryStore extends RateLimitStore {
  /** How many keys are held (expired ones not yet swept included). */
  size(): number
}

/** Create a memory store for one algorithm and its limits. */
export function createMemoryStore(
  algorithm: AlgorithmName,
  limits: Limits,
  opts: MemoryStoreOptions = {},
): MemoryStore {
  const alg = algorithms[algorithm]
  const clock = opts.clock ?? Date.now
  const maxKeys = opts.maxKeys ?? 100_000
  const entries = (opts.state as unknown as Map<string, Entry> | undefined) ?? new Map<string, Entry>()

  // A live iterator that walks the map a few entries per call and starts over at the end: every
  // entry is checked once per lap. A fresh iterator per call would walk past the deleted slots
  // that move-to-end leaves at the front of the table, over and over (it cost 95% of the
  // throughput at 50 000 keys).
  let cursor = entries.keys()
  function sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      let next = cursor.next()
      if (next.done) {
        cursor = entries.keys()
        next = cursor.next()
        if (next.done) break
      }
      const entry = entries.get(next.value)
      if (entry && entry.expiresAt <= now) entries.delete(next.value)
    }
    // Evict from the least recently used end until back under the bound.
    if (entries.size > maxKeys)
      for (const key of entries.keys()) {
        if (entries.size <= maxKeys) break
        entries.delete(key)
      }
  }

  function apply(key: string, op: Op, cost: number): RateLimitResult {
    const clockNow = Math.floor(clock())
    let entry = entries.get(key)
    if (entry && entry.expiresAt <= clockNow) entry = undefined
    entries.delete(key)
    const t = applyOp(alg, entry?.state, op, cost, clockNow, limits)
    if (t.changed)
      entry = t.state === undefined ? undefined : { state: t.state, expiresAt: t.now + t.result.resetMs }
    if (entry) entries.set(key, entry) // (re)inserted last: most recently used
    sweep(clockNow)
    return t.result
  }

  return {
    apply: async (key, op, cost) => apply(key, op, cost),
    reset: async (key) => {
      entries.delete(key)
    },
    size: () => entries.size,
  }
}
