/**
 * Redis going away under the service (a TCP proxy cut, then restored): each
 * rule's failure_mode decides meanwhile (insurance limiter, open, closed),
 * every such decision is counted, and decisions go back to Redis when it
 * answers again. Needs a real Redis: runs under TEST_SERVICES=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, testServicesEnabled, testServiceUrls } from '../../platform/config.js'
import { createRedis } from '../../platform/redis/client.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { type App, buildApp } from '../../platform/testing/app.js'
import { testBus, testDb, uniqueId } from '../../platform/testing/backends.js'
import { startTcpProxy, type TcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import rateLimiter from './index.js'
import { rateLimiterApp } from './testing.js'

const YAML = `
domain: f
descriptors:
  - key: insured
    rate_limit: { unit: hour, requests_per_unit: 4, algorithm: sliding_window_counter }
  - key: open
    failure_mode: open
    rate_limit: { unit: hour, requests_per_unit: 1 }
  - key: closed
    failure_mode: closed
    rate_limit: { unit: hour, requests_per_unit: 100 }
  - key: stall
    failure_mode: closed
    rate_limit: { unit: hour, requests_per_unit: 5 }
`

describe.skipIf(!testServicesEnabled())('Redis outage', () => {
  let proxy: TcpProxy
  let app: App
  const decide = async (key: string, value: string) => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/rate-limiter/json',
      payload: { domain: 'f', descriptors: [{ entries: [{ key, value }] }] },
    })
    return res.statusCode
  }
  const stats = async () => (await app.http.inject({ url: '/rate-limiter/stats' })).json()

  beforeAll(async () => {
    const target = new URL(testServiceUrls().redisUrl)
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
    const id = uniqueId()
    const t = await rateLimiterApp('embedded', YAML) // only for its config file
    const file = t.file
    await t.close()
    const redis = await createRedis(`redis://127.0.0.1:${proxy.port}`)
    app = await buildApp(
      loadConfig({
        LOG_LEVEL: 'silent',
        PORT: '0',
        DB_SCHEMA_PREFIX: `t${id}_`,
        REDIS_KEY_PREFIX: `test:${id}:`, // each run its own keys (the app derives the system's prefix from it)
        RATE_LIMITER_CONFIG: file,
        RATE_LIMITER_INSTANCES: '2',
        // Long enough that no call times out while Redis is up on a loaded machine (an open rule would
        // then admit what Redis refuses); the cut fails fast anyway, and the stall waits this long once.
        RATE_LIMITER_REDIS_TIMEOUT_MS: '1500',
        RATE_LIMITER_REDIS_RETRY_MS: '100',
      }),
      {
        systems: [rateLimiter],
        db: (await testDb('embedded')).withSchema('public'),
        bus: await testBus('embedded'),
        redis,
        logger: createLogger('silent'),
      },
    )
    await app.start({ listen: false })
  })
  afterAll(async () => {
    await app?.close()
    await proxy?.stop()
  })

  it('falls back per rule while Redis is cut off, and hands back when it returns', async () => {
    // Up: Redis decides. One of the 4 of `insured` is used, the single `open` one too.
    expect(await decide('insured', 'a')).toBe(200)
    expect(await decide('open', 'a')).toBe(200)
    expect(await decide('open', 'a')).toBe(429)
    expect((await stats()).store).toBe('redis')

    await proxy.stop()
    // The first call after the cut fails over Redis (counted as a store error) and falls back.
    const during = []
    for (let i = 0; i < 4; i++) during.push(await decide('insured', 'a'))
    // Insurance: the limit of 4 split over RATE_LIMITER_INSTANCES=2 processes: 2 admitted here, fresh count.
    expect(during).toEqual([200, 200, 429, 429])
    // Open admits what Redis would have refused; closed refuses what Redis would have admitted.
    expect(await decide('open', 'a')).toBe(200)
    expect(await decide('closed', 'a')).toBe(429)
    const s = await stats()
    expect(s.store).toBe('fallback')
    const rule = (id: string) => s.rules.find((r: { id: string }) => r.id === id)
    expect(rule('f.insured')).toMatchObject({ fallback: 4 })
    expect(rule('f.insured').storeErrors).toBe(1)
    expect(rule('f.open')).toMatchObject({ fallback: 1 })
    expect(rule('f.closed')).toMatchObject({ fallback: 1 })
    const metrics = (await app.http.inject({ url: '/metrics' })).body
    expect(metrics).toContain('rate_limiter_store_up 0')
    expect(metrics).toMatch(
      /rate_limiter_fallback_decisions_total\{domain="f",descriptor="f.insured",mode="insurance"\} 4/,
    )
    expect(metrics).toMatch(/rate_limiter_store_errors_total\{domain="f",descriptor="f.insured"\} 1/)

    await proxy.start()
    await waitFor('Redis handed back', async () => (await stats()).store === 'redis', 10_000)
    // Redis kept its count from before the cut: 1 of 4 used, so 3 more are admitted.
    const after = []
    for (let i = 0; i < 4; i++) after.push(await decide('insured', 'a'))
    expect(after).toEqual([200, 200, 200, 429])
    expect(await decide('open', 'a')).toBe(429)
    expect(await decide('closed', 'a')).toBe(200)
    expect((await app.http.inject({ url: '/metrics' })).body).toContain('rate_limiter_store_up 1')
  }, 30_000)

  it('a decision refused while Redis stalls consumes nothing when Redis resumes', async () => {
    await waitFor('Redis up', async () => (await stats()).store === 'redis', 10_000)
    expect([await decide('stall', 'a'), await decide('stall', 'a')]).toEqual([200, 200])
    proxy.pause() // Redis stalls: connections stay open, nothing gets through
    // The decision times out (RATE_LIMITER_REDIS_TIMEOUT_MS) and the closed failure mode refuses it.
    expect(await decide('stall', 'a')).toBe(429)
    proxy.resume() // the held script reaches Redis now, past its deadline
    await waitFor('Redis handed back', async () => (await stats()).store === 'redis', 10_000)
    const after = []
    for (let i = 0; i < 5; i++) after.push(await decide('stall', 'a'))
    // 2 of 5 used before the stall; the refused one took nothing (it used to: 2 OK, 3 refused).
    expect(after).toEqual([200, 200, 200, 429, 429])
  }, 30_000)
})
