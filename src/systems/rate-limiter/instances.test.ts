/**
 * The process count the insurance limiters divide by is learned live from
 * heartbeats in Redis (RATE_LIMITER_INSTANCES is only the floor) and kept
 * through an outage: three processes started with the floor at 1 admit the
 * limit between them while Redis is cut off, not three times it. Needs a
 * real Redis: runs under TEST_SERVICES=1.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, testServicesEnabled, testServiceUrls } from '../../platform/config.js'
import { createRedis } from '../../platform/redis/client.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { type App, buildApp } from '../../platform/testing/app.js'
import { testBus, testDb, uniqueId } from '../../platform/testing/backends.js'
import { startTcpProxy, type TcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import rateLimiter from './index.js'
import { InstanceCount } from './instances.js'
import { rateLimiterApp } from './testing.js'

const log = createLogger('silent')

describe.skipIf(!testServicesEnabled())('the live process count', () => {
  let proxy: TcpProxy
  beforeAll(async () => {
    const target = new URL(testServiceUrls().redisUrl)
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
  })
  afterAll(async () => {
    await proxy?.stop()
  })

  it('a process stopped while its first beat is in flight stays out of the set', async () => {
    const redis = new Redis(testServiceUrls().redisUrl, { keyPrefix: `test:${uniqueId()}:` })
    const x = new InstanceCount({ redis, floor: 1, intervalMs: 20, ttlMs: 60_000, log })
    try {
      const started = x.start()
      await x.stop()
      await started
      await new Promise((r) => setTimeout(r, 200)) // ten intervals: a beat armed by start would re-add it
      expect(await redis.zscore('rl:instances', x.id)).toBe(null)
    } finally {
      await x.stop()
      redis.disconnect()
    }
  })

  it('counts the processes that beat, never below the floor, and keeps the last count while Redis is away', async () => {
    const prefix = `test:${uniqueId()}:`
    const direct = () => new Redis(testServiceUrls().redisUrl, { keyPrefix: prefix })
    const cut = new Redis(`redis://127.0.0.1:${proxy.port}`, {
      keyPrefix: prefix,
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
    })
    cut.on('error', () => {})
    const opts = { intervalMs: 60_000, ttlMs: 180_000, log }
    const a = new InstanceCount({ ...opts, redis: direct(), floor: 1 })
    const b = new InstanceCount({ ...opts, redis: direct(), floor: 1 })
    const c = new InstanceCount({ ...opts, redis: cut, floor: 1 })
    const high = new InstanceCount({ ...opts, redis: direct(), floor: 10 })
    try {
      for (const x of [a, b, c]) await x.beat()
      await c.beat()
      expect([a.current, b.current, c.current]).toEqual([1, 2, 3]) // each learns the count when it beats
      await high.beat()
      expect([high.lastSeen, high.current]).toEqual([4, 10]) // the floor wins when it is higher
      await high.stop()
      await b.stop() // leaving removes it at once
      await a.beat()
      expect(a.current).toBe(2)

      await proxy.stop() // Redis away for c: its beats fail, its count stays what it last saw
      await c.beat()
      expect([c.lastSeen, c.current]).toEqual([3, 3])
      await proxy.start()
    } finally {
      for (const x of [a, c]) await x.stop()
      for (const x of [a, b, high]) (x as unknown as { opts: { redis: Redis } }).opts.redis.disconnect()
      cut.disconnect()
    }
  })

  it('three processes with RATE_LIMITER_INSTANCES=1 admit the limit between them during an outage, not 3x', async () => {
    const t = await rateLimiterApp(
      'embedded',
      'domain: i\ndescriptors:\n  - key: k\n    rate_limit: { unit: hour, requests_per_unit: 6 }\n',
    )
    const file = t.file
    await t.close()
    const id = uniqueId()
    const apps: App[] = []
    try {
      for (let n = 0; n < 3; n++) {
        const app = await buildApp(
          loadConfig({
            LOG_LEVEL: 'silent',
            PORT: '0',
            DB_SCHEMA_PREFIX: `t${id}${n}_`,
            REDIS_KEY_PREFIX: `test:${id}:`, // one Redis namespace: the three share limits and heartbeats
            RATE_LIMITER_CONFIG: file,
            RATE_LIMITER_GRPC_PORT: '-1',
            RATE_LIMITER_INSTANCES: '1',
            RATE_LIMITER_HEARTBEAT_MS: '100',
            RATE_LIMITER_REDIS_TIMEOUT_MS: '200',
            RATE_LIMITER_REDIS_RETRY_MS: '100',
          }),
          {
            systems: [rateLimiter],
            db: (await testDb('embedded')).withSchema('public'),
            bus: await testBus('embedded'),
            redis: await createRedis(`redis://127.0.0.1:${proxy.port}`),
            logger: log,
          },
        )
        await app.start({ listen: false })
        apps.push(app)
      }
      const stats = async (app: App) => (await app.http.inject({ url: '/rate-limiter/stats' })).json()
      for (const app of apps)
        await waitFor('every process sees 3', async () => (await stats(app)).instances.current === 3, 10_000)

      await proxy.stop() // Redis gone for all three: each decides alone with its insurance limiter
      let admitted = 0
      for (const app of apps)
        for (let i = 0; i < 6; i++) {
          const res = await app.http.inject({
            method: 'POST',
            url: '/rate-limiter/json',
            payload: { domain: 'i', descriptors: [{ entries: [{ key: 'k', value: 'x' }] }] },
          })
          if (res.statusCode === 200) admitted++
        }
      for (const app of apps) expect((await stats(app)).store).toBe('fallback')
      // Each admits ceil(6 / 3) = 2: 6 together. With the count fixed at the floor (1), 18 passed.
      expect(admitted).toBe(6)
      expect((await apps[0]!.http.inject({ url: '/metrics' })).body).toContain('rate_limiter_instances 3')
    } finally {
      await proxy.start()
      for (const app of apps) await app.close()
    }
  }, 60_000)
})
