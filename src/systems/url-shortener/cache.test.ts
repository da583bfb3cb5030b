/**
 * The redirect caches: the LRU's generation guard, single-flight misses,
 * Redis as a shared tier with versioned writes, and Redis failing (the
 * redirect falls through to PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, testRedis, uniqueId } from '../../platform/testing/backends.js'
import { LocalCache, TTL_JITTER } from './cache.lru.js'
import { createRedisCache } from './cache.redis.js'
import type { RedirectTarget, SharedCache, ShortUrlStore } from './ports.js'
import { RedirectResolver } from './resolver.js'
import { shortenerApp, type TestClient } from './testing.js'

const target = (version: number, longUrl = 'https://example.com/'): RedirectTarget => ({
  id: 1,
  longUrl,
  forwardQuery: true,
  validSince: null,
  validUntil: null,
  maxVisits: null,
  rules: null,
  version,
})

/** A store answering `answer` for every code (none when undefined), counting its reads. */
function fakeStore(answer: RedirectTarget | undefined, delayMs = 5) {
  const calls = { n: 0, codes: [] as string[][] }
  const store = {
    async targets(codes: readonly string[]) {
      calls.n++
      calls.codes.push([...codes])
      await new Promise((r) => setTimeout(r, delayMs))
      return new Map(answer ? codes.map((c) => [c, answer]) : [])
    },
  } as unknown as ShortUrlStore
  return { store, calls }
}

const quiet = { lookup() {}, sharedError() {} }

describe('LocalCache', () => {
  it('drops a fill that raced an invalidation', () => {
    const lru = new LocalCache({ max: 10, ttlMs: 60_000, negativeTtlMs: 1000 })
    const token = lru.token()
    lru.invalidate(['a'])
    lru.set('a', target(1), token)
    expect(lru.get('a').hit).toBe(false)
    lru.set('a', target(2), lru.token())
    expect(lru.get('a')).toEqual({ hit: true, target: target(2) })
  })

  it('expires negative entries after their own TTL', async () => {
    const lru = new LocalCache({ max: 10, ttlMs: 60_000, negativeTtlMs: 30 })
    lru.set('gone', null, lru.token())
    expect(lru.get('gone')).toEqual({ hit: true, target: null })
    await new Promise((r) => setTimeout(r, 60))
    expect(lru.get('gone').hit).toBe(false)
  })

  it('gives entries cached together jittered lifetimes, within the TTL', () => {
    const ttlMs = 60_000
    const lru = new LocalCache({ max: 1000, ttlMs, negativeTtlMs: 10_000 })
    for (let i = 0; i < 200; i++) lru.set(`c${i}`, i % 2 ? target(1) : null, lru.token())
    const left = (prefix: 0 | 1, ttl: number) =>
      Array.from({ length: 100 }, (_, i) => lru.remainingTtl(`c${2 * i + prefix}`) / ttl)
    for (const [shares, ttl] of [
      [left(1, ttlMs), ttlMs],
      [left(0, 10_000), 10_000],
    ] as const) {
      expect(Math.max(...shares)).toBeLessThanOrEqual(1)
      // 100 ms of slack for a slow machine between set and read.
      expect(Math.min(...shares)).toBeGreaterThanOrEqual(1 - TTL_JITTER - 100 / ttl)
      // Spread, not one instant: 100 uniform draws over 20% span far more than 5%.
      expect(Math.max(...shares) - Math.min(...shares)).toBeGreaterThan(0.05)
    }
  })

  it('with max 0, caches nothing', () => {
    const lru = new LocalCache({ max: 0, ttlMs: 1000, negativeTtlMs: 1000 })
    lru.set('a', target(1), lru.token())
    expect(lru.get('a').hit).toBe(false)
  })
})

describe('RedirectResolver', () => {
  it('answers a burst of misses on one code with one database read', async () => {
    const { store, calls } = fakeStore(target(1))
    const r = new RedirectResolver(
      new LocalCache({ max: 10, ttlMs: 60_000, negativeTtlMs: 1000 }),
      undefined,
      store,
      quiet,
    )
    const answers = await Promise.all(Array.from({ length: 50 }, () => r.resolve('hot')))
    expect(answers.every((a) => a?.version === 1)).toBe(true)
    expect(calls.n).toBe(1)
    expect(r.resolve('hot')).toEqual(target(1)) // synchronous now
  })

  it('reads the misses of one event-loop turn with one statement, found or not', async () => {
    const { store, calls } = fakeStore(undefined)
    const known = target(3)
    const mixed = {
      async targets(codes: readonly string[]) {
        await store.targets(codes)
        return new Map(codes.filter((c) => c.startsWith('k')).map((c) => [c, known]))
      },
    } as unknown as ShortUrlStore
    const r = new RedirectResolver(
      new LocalCache({ max: 1000, ttlMs: 60_000, negativeTtlMs: 1000 }),
      undefined,
      mixed,
      quiet,
    )
    const codes = Array.from({ length: 120 }, (_, i) => (i % 3 ? `k${i}` : `u${i}`))
    const answers = await Promise.all(codes.map((c) => r.resolve(c)))
    expect(calls.n).toBe(1)
    expect(calls.codes[0]!.sort()).toEqual([...codes].sort())
    expect(answers.map((a) => a?.version ?? null)).toEqual(codes.map((c) => (c.startsWith('k') ? 3 : null)))
    // Both kinds are cached now: answered synchronously, no further read.
    expect(r.resolve('k1')).toEqual(known)
    expect(r.resolve('u0')).toBeNull()
    expect(calls.n).toBe(1)
  })

  it('falls through to the database when the shared cache fails', async () => {
    const { store, calls } = fakeStore(target(7))
    const errors: unknown[] = []
    const broken: SharedCache = {
      get: async () => Promise.reject(new Error('ECONNREFUSED')),
      put: async () => Promise.reject(new Error('ECONNREFUSED')),
      putMany: async () => {},
      close: async () => {},
    }
    const r = new RedirectResolver(
      new LocalCache({ max: 10, ttlMs: 60_000, negativeTtlMs: 1000 }),
      broken,
      store,
      {
        lookup() {},
        sharedError: (e) => errors.push(e),
      },
    )
    expect((await r.resolve('x'))?.version).toBe(7)
    expect(calls.n).toBe(1)
    await new Promise((r) => setTimeout(r, 10))
    expect(errors.length).toBe(2) // the read and the fill
  })
})

describe.skipIf(!backends().includes('services'))('Redis tier (services)', () => {
  it('keeps the newer of two versions (a slow reader cannot undo an edit)', async () => {
    const redis = (await testRedis('services'))!
    const cache = createRedisCache(redis, { ttlMs: 60_000, negativeTtlMs: 60_000 })
    try {
      await cache.putMany([{ code: 'c', target: target(5, 'https://example.com/new'), version: 5 }])
      await cache.put('c', target(3, 'https://example.com/old'), 3)
      expect(await cache.get('c')).toEqual({ hit: true, target: target(5, 'https://example.com/new') })
      // A delete's marker beats a reader that found the row before it was deleted...
      await cache.putMany([{ code: 'c', target: null, version: 6 }])
      await cache.put('c', target(5), 5)
      expect(await cache.get('c')).toEqual({ hit: true, target: null })
      // ...and a re-created code (a newer version) replaces the marker.
      await cache.putMany([{ code: 'c', target: target(9), version: 9 }])
      expect(await cache.get('c')).toEqual({ hit: true, target: target(9) })
      // "Not found" fills are version 0: they never replace anything.
      await cache.put('c', null, 0)
      expect((await cache.get('c')).hit && (await cache.get('c'))).toEqual({ hit: true, target: target(9) })
    } finally {
      await cache.close()
    }
  })

  describe('two apps sharing PostgreSQL and Redis (no shared bus)', () => {
    let a: TestClient
    let b: TestClient
    beforeAll(async () => {
      const id = uniqueId()
      const env = { DB_SCHEMA_PREFIX: `t${id}_`, REDIS_KEY_PREFIX: `test:${id}:` }
      a = await shortenerApp('services', env)
      b = await shortenerApp('services', env)
    })
    afterAll(async () => {
      await a.close()
      await b.close()
    })

    const lookups = async (c: TestClient) => {
      const metric = c.app.metrics.registry.getSingleMetric('url_shortener_cache_lookups_total')!
      const out: Record<string, number> = {}
      for (const v of (await metric.get()).values) out[`${v.labels.tier}:${v.labels.result}`] = v.value
      return out
    }

    it('a code created on one is answered from Redis on the other, without a database read', async () => {
      const code = (
        await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/shared' })
      ).json().shortCode
      expect((await b.get(`/${code}`)).headers.location).toBe('https://example.com/shared')
      const seen = await lookups(b)
      expect(seen['redis:found']).toBe(1)
      expect(seen['db:found'] ?? 0).toBe(0)
    })

    it('unknown codes probed on one are negative in Redis for the other', async () => {
      expect((await a.get('/scan-1')).statusCode).toBe(404)
      await new Promise((r) => setTimeout(r, 50)) // the negative fill is not awaited by the visitor
      expect((await b.get('/scan-1')).statusCode).toBe(404)
      expect((await lookups(b))['redis:not_found']).toBe(1)
    })

    it('redirects keep working when Redis goes away', async () => {
      const code = (await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/r' })).json()
        .shortCode
      const sys = b.app.systems.find((s) => s.definition.name === 'url-shortener')!
      // Cut the cache's own connection (the one the redirect path uses).
      await sys.instance.close!()
      const res = await b.get(`/${code}`)
      expect(res.statusCode).toBe(302)
      expect(res.headers.location).toBe('https://example.com/r')
      expect((await lookups(b))['db:found']).toBeGreaterThanOrEqual(1)
      const errors = b.app.metrics.registry.getSingleMetric('url_shortener_shared_cache_errors_total')!
      expect((await errors.get()).values[0]!.value).toBeGreaterThanOrEqual(1)
    })
  })
})
