/**
 * Per-queue and per-group rate limits, on the platform's rate-limit library:
 * a Redis store when the process has Redis (every process shares the
 * budget), the memory store otherwise (the embedded deployment is one
 * process). GCRA with burst = limit: at most `limit` jobs start in any
 * period, spread evenly once the burst is spent.
 */
import type { Redis } from 'ioredis'
import { createRateLimiter, type RateLimiter } from '../rate-limit/index.js'

export interface QueueLimits {
  rateLimit: number | null
  ratePeriodMs: number | null
  groupRateLimit: number | null
  groupRatePeriodMs: number | null
}

export class RateLimits {
  private readonly limiters = new Map<string, { spec: string; limiter: RateLimiter }>()

  constructor(private readonly redis: Redis | undefined) {}

  private get(name: string, limit: number | null, periodMs: number | null): RateLimiter | undefined {
    if (!limit || !periodMs) {
      this.limiters.delete(name)
      return undefined
    }
    const spec = `${limit}/${periodMs}`
    const cached = this.limiters.get(name)
    if (cached?.spec === spec) return cached.limiter
    const limiter = createRateLimiter({
      algorithm: 'gcra',
      limit,
      periodMs,
      store: this.redis ? { redis: this.redis, namespace: `jobs-${spec}` } : 'memory',
    })
    this.limiters.set(name, { spec, limiter })
    return limiter
  }

  /** The limiter of a whole queue, if it has one. */
  queue(queue: string, l: QueueLimits): RateLimiter | undefined {
    return this.get(`q:${queue}`, l.rateLimit, l.ratePeriodMs)
  }

  /** The limiter every group of a queue shares (keyed by group), if it has one. */
  group(queue: string, l: QueueLimits): RateLimiter | undefined {
    return this.get(`g:${queue}`, l.groupRateLimit, l.groupRatePeriodMs)
  }
}
