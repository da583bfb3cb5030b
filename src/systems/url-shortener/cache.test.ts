/**
 * The redirect caches: the LRU's generation guard, single-flight misses,
 * Redis as a shared tier with versioned writes, and Redis failing (the
 * redirect falls through to PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, testRedis, uniqueId } from '../../platform/testing/backends.js'
import { LocalCache } from './cache.lru.js'
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

function fakeStore(answer: RedirectTarget | undefined, delayMs = 5) {
  const calls = { n: 0 }
  const store = {
    async target() {
      calls.n++
      await new Promise((r) => setTimeout(r, delayMs))
      return answer
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
