/** The memory store's bounds, and configuration errors at construction (store-independent). */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiterOptions } from './limiter.js'
import { createMemoryStore } from './store.memory.js'
import { ALGORITHMS, RateLimitInputError } from './types.js'
import { validateLimits } from './validate.js'

describe('memory store', () => {
  it.each(ALGORITHMS)('%s: drops a key once it is fresh again, and sweeps idle keys', async (algorithm) => {
    let now = 1_000_000
    const limits = validateLimits({ algorithm, limit: 3, periodMs: 1000 })
    const store = createMemoryStore(algorithm, limits, { clock: () => now })
    for (let i = 0; i < 50; i++) await store.apply(`idle-${i}`, 'consume', 1)
    expect(store.size()).toBe(50)
    now += 2000 // every idle key is fresh again (resetMs <= 2 x period)
    // Each call checks one more key (a cursor lapping the map), so traffic on one key sweeps the rest.
    for (let i = 0; i < 49; i++) await store.apply('busy', 'peek', 1)
    expect(store.size()).toBe(1)
    await store.apply('busy', 'peek', 1)
    expect(store.size()).toBe(0)
    await store.apply('busy', 'consume', 1)
    await store.apply('busy', 'refund', 1)
    expect(store.size()).toBe(0) // refunded to fresh: nothing left to keep
  })

  it('holds at most maxKeys, evicting keys not used lately (CLOCK)', async () => {
    const limits = validateLimits({ algorithm: 'fixed-window', limit: 1, periodMs: 60_000 })
    const store = createMemoryStore('fixed-window', limits, { maxKeys: 100, clock: () => 5 })
    for (let i = 0; i < 1000; i++) {
      await store.apply('hot', 'consume', 1)
      await store.apply(`k${i}`, 'consume', 1)
    }
    expect(store.size()).toBe(100)
    // The hot key was used all along, so it was never evicted and is still limited.
    expect(await store.apply('hot', 'peek', 1)).toMatchObject({ allowed: false })
  })
})

describe('configuration', () => {
  const base = { algorithm: 'token-bucket', limit: 10, periodMs: 1000, store: 'memory' } as const
  const bad: [string, Partial<RateLimiterOptions>][] = [
    ['limit 0', { limit: 0 }],
    ['limit -1', { limit: -1 }],
    ['limit 1.5', { limit: 1.5 }],
    ['limit NaN', { limit: Number.NaN }],
    ['periodMs 0', { periodMs: 0 }],
    ['periodMs -5', { periodMs: -5 }],
    ['periodMs Infinity', { periodMs: Number.POSITIVE_INFINITY }],
    ['burst 0', { burst: 0 }],
    ['burst 2.5', { burst: 2.5 }],
    ['an overflowing limit x period', { limit: 1e9, periodMs: 1e9 }],
    ['an unknown algorithm', { algorithm: 'magic' as 'gcra' }],
    ['burst on a window algorithm', { algorithm: 'fixed-window', burst: 5 }],
    ['a huge log', { algorithm: 'sliding-window-log', limit: 1_000_000 }],
    ['an unknown store', { store: 'disk' as 'memory' }],
  ]
  it.each(bad)('refuses %s with a RateLimitInputError', (_, patch) => {
    expect(() => createRateLimiter({ ...base, ...patch })).toThrow(RateLimitInputError)
    expect(() => createRateLimiter({ ...base, ...patch })).toThrow(RangeError)
  })

  it('refuses a clock with the Redis store, which uses the server clock', () => {
    const redis = new Redis({ lazyConnect: true })
    expect(() => createRateLimiter({ ...base, store: { redis }, clock: () => 0 })).toThrow(
      /memory store only/,
    )
    redis.disconnect()
  })

  it('accepts the largest sound configuration and reports the burst as the limit', async () => {
    const rl = createRateLimiter({ ...base, limit: 1, periodMs: 365 * 86_400_000, burst: 1000 })
    expect(await rl.consume('k', 1000)).toMatchObject({ allowed: true, remaining: 0, limit: 1000 })
  })
})
