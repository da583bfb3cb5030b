/**
 * The in-process store: a Map from key to the algorithm's state, for one
 * process (tests, the embedded mode, or a local pre-filter in front of Redis).
 * Each operation runs synchronously from read to write, so concurrent callers
 * on the event loop cannot interleave inside a decision: it is atomic.
 *
 * Memory stays bounded two ways:
 * - expiry: an entry is fresh again after its `resetMs`, so it is dropped then
 *   (lazily on access, and one more entry is checked on every call by
 *   a cursor that laps the map, which sweeps idle keys without a timer);
 * - `maxKeys`: beyond it a key not used lately is evicted (CLOCK, the
 *   second-chance approximation of LRU: each use after the first sets a bit; eviction walks
 *   from the oldest insertion, gives a used key a second chance at the end and
 *   clears its bit, and evicts the first unused one). An evicted key that was
 *   still limited starts fresh (fails open), so size it above the number of
 *   keys active within one period.
 * Moving a key to the end on every use (exact LRU) costs a delete and a set
 * per decision and leaves holes that every later walk pays for; CLOCK writes
 * one boolean.
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
  /** Used since the eviction walk last passed it (CLOCK's reference bit). */
  used: boolean
}

/** How many entries each call checks for expiry (the sweeping cursor's step). */
const SWEEP_PER_CALL = 1

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
  // entry is checked once per lap. (A fresh iterator per call would walk past every deleted slot
  // at the front of the table, over and over.)
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
    if (entries.size > maxKeys) evict()
  }

  function evict(): void {
    // Each key is passed at most twice (a used one moves to the end with its bit cleared), so this ends.
    for (const [key, entry] of entries) {
      if (entries.size <= maxKeys) return
      entries.delete(key)
      if (entry.used) {
        entry.used = false
        entries.set(key, entry)
      }
    }
  }

  function apply(key: string, op: Op, cost: number): RateLimitResult {
    const clockNow = Math.floor(clock())
    let entry = entries.get(key)
    if (entry !== undefined && entry.expiresAt <= clockNow) {
      entries.delete(key)
      entry = undefined
    }
    const t = applyOp(alg, entry?.state, op, cost, clockNow, limits)
    if (t.changed) {
      if (t.state === undefined) {
        if (entry) entries.delete(key)
        entry = undefined
      } else if (entry) {
        entry.state = t.state
        entry.expiresAt = t.now + t.result.resetMs
        entry.used = true
      } else {
        // A new key starts unreferenced: it is the first to go unless it is used again.
        entries.set(key, { state: t.state, expiresAt: t.now + t.result.resetMs, used: false })
      }
    } else if (entry) entry.used = true
    sweep(clockNow)
    return t.result
  }

  return {
    // Resolved at once (the decision is synchronous); a plain promise, not an async wrapper.
    apply: (key, op, cost) => Promise.resolve(apply(key, op, cost)),
    reset: async (key) => {
      entries.delete(key)
    },
    size: () => entries.size,
  }
}
