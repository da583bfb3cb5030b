/** The Fastify plugin: 429 problem+json, Retry-After, IETF and legacy headers, per-route options. */
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { errorHandler } from '../http/error-handler.js'
import { Registry } from '../telemetry/metrics.js'
import { type RateLimitPluginOptions, rateLimitPlugin } from './fastify.js'
import { createRateLimiter, type RateLimiter } from './limiter.js'

let app: FastifyInstance | undefined
afterEach(() => app?.close())

async function server(opts: Partial<RateLimitPluginOptions> = {}, limiter?: RateLimiter) {
  app = Fastify()
  app.setErrorHandler(errorHandler(1024))
  const registry = new Registry()
  await app.register(rateLimitPlugin, {
    limiter:
      limiter ??
      createRateLimiter({ algorithm: 'fixed-window', limit: 2, periodMs: 60_000, store: 'memory' }),
    registry,
    ...opts,
  })
  app.get('/', async () => 'ok')
  app.get('/free', { config: { rateLimit: false } }, async () => 'free')
  app.get('/heavy', { config: { rateLimit: { cost: 2, policy: 'heavy' } } }, async () => 'heavy')
  await app.ready()
  return { app, registry }
}

describe('rateLimitPlugin', () => {
  it('sends the IETF and legacy headers, then 429 problem+json with Retry-After', async () => {
    const { app, registry } = await server()
    const first = await app.inject('/')
    expect(first.statusCode).toBe(200)
    expect(first.headers).toMatchObject({
      'ratelimit-policy': '"default";q=2;w=60',
      ratelimit: expect.stringMatching(/^"default";r=1;t=\d+$/),
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
    })
    await app.inject('/')
    const limited = await app.inject('/')
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toContain('application/problem+json')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    expect(limited.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/)
    const text = await registry.metrics()
    expect(text).toContain('http_rate_limit_decisions_total{policy="default",outcome="allowed"} 2')
    expect(text).toContain('http_rate_limit_decisions_total{policy="default",outcome="limited"} 1')
  })

  it('honours per-route opt-out, cost and policy name; keys by client', async () => {
    const { app } = await server({ key: (req) => String(req.headers['x-client'] ?? req.ip) })
    for (let i = 0; i < 5; i++) expect((await app.inject('/free')).statusCode).toBe(200)
    const heavy = await app.inject({ url: '/heavy', headers: { 'x-client': 'a' } })
    expect(heavy.headers['ratelimit-policy']).toBe('"heavy";q=2;w=60')
    expect(heavy.headers['x-ratelimit-remaining']).toBe('0')
    expect((await app.inject({ url: '/', headers: { 'x-client': 'a' } })).statusCode).toBe(429)
    expect((await app.inject({ url: '/', headers: { 'x-client': 'b' } })).statusCode).toBe(200)
  })

  it('counts but never refuses in shadow mode', async () => {
    const { app, registry } = await server({ shadow: true })
    const codes = []
    for (let i = 0; i < 4; i++) codes.push((await app.inject('/')).statusCode)
    expect(codes).toEqual([200, 200, 200, 200])
    expect(await registry.metrics()).toContain('outcome="shadow_limited"} 2')
  })

  it('admits when the store fails (default), or answers 503 when told to fail closed', async () => {
    const broken = createRateLimiter({ algorithm: 'gcra', limit: 1, periodMs: 1000, store: 'memory' })
    broken.consume = () => Promise.reject(new Error('connection refused'))
    let s = await server({}, broken)
    expect((await s.app.inject('/')).statusCode).toBe(200)
    expect(await s.registry.metrics()).toContain('outcome="store_error"} 1')
    await s.app.close()
    s = await server({ onStoreError: 'closed' }, broken)
    const res = await s.app.inject('/')
    expect(res.statusCode).toBe(503)
    expect(res.json().code).toBe('RATE_LIMIT_UNAVAILABLE')
  })

  it('can limit only the routes that ask for it', async () => {
    const { app } = await server({ global: false })
    for (let i = 0; i < 4; i++) expect((await app.inject('/')).statusCode).toBe(200)
    expect((await app.inject('/heavy')).statusCode).toBe(200)
    expect((await app.inject('/heavy')).statusCode).toBe(429)
  })
})
