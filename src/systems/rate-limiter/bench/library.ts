/**
 * The library subjects' limiters, built lazily in `prepare` (the suite is
 * imported before the run starts, and a smoke run of another scenario must
 * not open Redis connections it will not use). Ours only: the peer is built
 * in bench.ts, the one file that may import a devDependency.
 *
 * Two workloads per store:
 * - distinct keys: 50,000 keys (within the memory store's default 100,000)
 *   and a limit of 1,000,000 per 60 s that no key reaches, so nearly every
 *   decision admits and writes: the cost of a decision, not of a denial;
 * - hot key: one key, 100 per 60 s, so nearly every decision is a denial.
 */
import type { Redis } from 'ioredis'
import {
  type AlgorithmName,
  createRateLimiter,
  type RateLimiter,
} from '../../../platform/rate-limit/index.js'
import { drive, keySpace, pickKey } from './drive.js'

export const CONCURRENCY = 64
export const KEYS = 50_000
export const WINDOW_MS = 60_000
/** Never reached by one key in a window: every distinct-key decision admits. */
export const HIGH_LIMIT = 1_000_000
/** Reached at once by the hot key: nearly every decision is a denial. */
export const HOT_LIMIT = 100

export const distinctKey = pickKey(keySpace('user:', KEYS))
export const hotKey = (): string => 'hot'

export type Workload = 'distinct' | 'hot'

export const limitOf = (w: Workload): number => (w === 'distinct' ? HIGH_LIMIT : HOT_LIMIT)
export const keyOf = (w: Workload): ((i: number) => string) => (w === 'distinct' ? distinctKey : hotKey)

/** Our limiter for a workload, on memory or on `redis` (its own connection). */
export function ours(algorithm: AlgorithmName, w: Workload, redis: Redis | undefined): RateLimiter {
  return createRateLimiter({
    algorithm,
    limit: limitOf(w),
    periodMs: WINDOW_MS,
    store: redis ? { redis, namespace: `${algorithm}:${w}` } : 'memory',
  })
}

/**
 * A CustomLoad `run` over a decision function that is set up by `prepare`
 * (undefined until then). `isDecision` classifies rejections.
 */
export function decisionLoad(
  get: () => ((i: number) => Promise<unknown>) | undefined,
  isDecision?: (rejection: unknown) => boolean,
) {
  return async ({ durationMs }: { durationMs: number }) => {
    const call = get()
    if (!call) throw new Error('the subject was not prepared')
    return drive({ concurrency: CONCURRENCY, durationMs, call, isDecision })
  }
}
