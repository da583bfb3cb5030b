/**
 * The public port: `createRateLimiter({ algorithm, limit, periodMs, burst?, store })`
 * returns a RateLimiter whose calls validate their input and hand it to the
 * store. Everything that decides lives in the algorithm files (memory) and
 * their Lua twins (Redis).
 */
import type { Redis } from 'ioredis'
import { createMemoryStore, type MemoryState } from './store.memory.js'
import { createRedisStore } from './store.redis.js'
import {
  type AlgorithmName,
  type Limits,
  type Op,
  RateLimitInputError,
  type RateLimitResult,
  type RateLimitStore,
} from './types.js'
import { validateCost, validateKey, validateLimits } from './validate.js'

export interface RateLimiter {
  readonly algorithm: AlgorithmName
  readonly limits: Limits
  /** Take `cost` units from `key` if they fit; over the limit is `allowed: false`, not an error. */
  consume(key: string, cost?: number): Promise<RateLimitResult>
  /** Say what `consume(key, cost)` would decide now, consuming nothing. */
  peek(key: string, cost?: number): Promise<RateLimitResult>
  /** Give `cost` units back to `key` (e.g. the request turned out not to count); never beyond the capacity. */
  refund(key: string, cost?: number): Promise<RateLimitResult>
  /** Forget `key`: its next request sees a fresh limiter. */
  reset(key: string): Promise<void>
}

export interface RateLimiterOptions {
  algorithm: AlgorithmName
  /** Units per period (the window size, or the sustained rate of a bucket). */
  limit: number
  periodMs: number
  /** Bucket capacity (token-bucket, leaky-bucket, gcra); default `limit`. */
  burst?: number
  /**
   * `'memory'` (this process only), `{ memory }` (this process, with a state shared by limiters of the
   * same algorithm and period: see createMemoryState), or a Redis client shared by every process.
   */
  store:
    | 'memory'
    | { memory: MemoryState }
    | { redis: Redis; namespace?: string; batch?: boolean; deadlineMs?: number }
  /** Memory store only: the clock in ms (Redis uses the server's). */
  clock?: () => number
  /** Memory store only: the most keys kept at once (default 100 000). */
  maxKeys?: number
}

/** Create a rate limiter; throws RateLimitInputError for an invalid configuration. */
export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const limits = validateLimits(opts)
  let store: RateLimitStore
  if (
    opts.store === 'memory' ||
    (typeof opts.store === 'object' && 'memory' in opts.store && opts.store.memory)
  ) {
    const state = opts.store === 'memory' ? undefined : opts.store.memory
    store = createMemoryStore(opts.algorithm, limits, { clock: opts.clock, maxKeys: opts.maxKeys, state })
  } else if (opts.store && typeof opts.store === 'object' && 'redis' in opts.store && opts.store.redis) {
    if (opts.clock || opts.maxKeys !== undefined)
      throw new RateLimitInputError(
        'RATE_LIMIT_INVALID_CONFIG',
        'clock and maxKeys apply to the memory store only: the Redis store uses the server clock and key expiry',
      )
    store = createRedisStore(opts.algorithm, limits, opts.store)
  } else {
    throw new RateLimitInputError('RATE_LIMIT_INVALID_CONFIG', "store must be 'memory' or { redis }")
  }
  return new Limiter(opts.algorithm, limits, store)
}

/** A class, not closures: a decision is a few hundred nanoseconds in memory, and allocations show. */
class Limiter implements RateLimiter {
  constructor(
    readonly algorithm: AlgorithmName,
    readonly limits: Limits,
    private readonly store: RateLimitStore,
  ) {}

  // Validation throws before any I/O, so a bad call rejects at once and touches no state; the
  // store's own promise is returned as it is (no async wrapper: one promise per decision).
  private run(key: string, op: Op, cost: number): Promise<RateLimitResult> {
    try {
      return this.store.apply(validateKey(key), op, validateCost(cost, this.limits))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  // Arrow properties, so a method taken off the limiter (`const { consume } = limiter`) still works.
  readonly consume = (key: string, cost = 1): Promise<RateLimitResult> => this.run(key, 'consume', cost)
  readonly peek = (key: string, cost = 1): Promise<RateLimitResult> => this.run(key, 'peek', cost)
  readonly refund = (key: string, cost = 1): Promise<RateLimitResult> => this.run(key, 'refund', cost)

  readonly reset = async (key: string): Promise<void> => {
    await this.store.reset(validateKey(key))
  }
}
