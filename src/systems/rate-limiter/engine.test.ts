/** ShouldRateLimit decisions on the memory store: Envoy's semantics plus ours. */
import { Registry } from 'prom-client'
import { beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../platform/telemetry/logger.js'
import { parseConfig } from './config.js'
import { RateLimitEngine, type RateLimitRequest, UINT32_MAX } from './engine.js'
import { LimiterPool } from './limiters.js'
import { RateLimiterMetrics } from './metrics.js'

const CONFIG = parseConfig(`
domain: d
descriptors:
  - key: ip
    rate_limit: { unit: hour, requests_per_unit: 3 }
  - key: user
    rate_limit: { unit: hour, requests_per_unit: 5, algorithm: token_bucket, burst: 2 }
  - key: vip
    rate_limit: { unlimited: true }
  - key: blocked
    rate_limit: { unit: second, requests_per_unit: 0 }
  - key: trial
    shadow_mode: true
    rate_limit: { unit: hour, requests_per_unit: 1 }
  - key: global
    rate_limit: { unit: hour, requests_per_unit: 1, name: global }
  - key: special
    rate_limit: { unit: hour, requests_per_unit: 100, replaces: [{ name: global }] }
  - key: path
    detailed_metric: true
    rate_limit: { unit: hour, requests_per_unit: 10 }
`)

const req = (domain: string, pairs: [string, string][][], hitsAddend = 0): RateLimitRequest => ({
  domain,
  descriptors: pairs.map((entries) => ({ entries: entries.map(([key, value]) => ({ key, value })) })),
  hitsAddend,
})

describe('engine', () => {
  let engine: RateLimitEngine
  let metrics: RateLimiterMetrics
  const build = (shadow = false) => {
    const pool = new LimiterPool({ instances: 1, retryMs: 100, log: createLogger('silent') })
    metrics = new RateLimiterMetrics(new Registry(), () => 1)
    engine = new RateLimitEngine(pool, metrics, () => CONFIG, { globalShadow: shadow })
  }
  beforeEach(() => build())

  it('admits up to the limit, then answers OVER_LIMIT with the limit and time to retry', async () => {
    const codes: string[] = []
    for (let i = 0; i < 4; i++)
      codes.push((await engine.shouldRateLimit(req('d', [[['ip', 'a']]]))).overallCode)
    expect(codes).toEqual(['OK', 'OK', 'OK', 'OVER_LIMIT'])
    const last = await engine.shouldRateLimit(req('d', [[['ip', 'a']]]))
    expect(last.statuses[0]).toMatchObject({
      code: 'OVER_LIMIT',
      currentLimit: { requestsPerUnit: 3, unit: 'HOUR' },
      limitRemaining: 0,
    })
    expect(last.statuses[0]!.durationUntilResetMs).toBeGreaterThan(0)
    expect(last.statuses[0]!.durationUntilResetMs).toBeLessThanOrEqual(3_600_000)
    // Another value of the same key has its own limit.
    expect((await engine.shouldRateLimit(req('d', [[['ip', 'b']]]))).overallCode).toBe('OK')
  })

  it('counts hitsAddend, per request and per descriptor', async () => {
    const r = await engine.shouldRateLimit(req('d', [[['ip', 'h']]], 2))
    expect(r.statuses[0]!.limitRemaining).toBe(1)
    expect((await engine.shouldRateLimit(req('d', [[['ip', 'h']]], 2))).overallCode).toBe('OVER_LIMIT')
    const perDescriptor = await engine.shouldRateLimit({
      domain: 'd',
      descriptors: [{ entries: [{ key: 'ip', value: 'h2' }], hitsAddend: 3 }],
      hitsAddend: 1,
    })
    expect(perDescriptor.statuses[0]).toMatchObject({ code: 'OK', limitRemaining: 0 })
    // More hits than the limit can ever hold: over the limit, nothing consumed.
    expect((await engine.shouldRateLimit(req('d', [[['ip', 'h3']]], 4))).overallCode).toBe('OVER_LIMIT')
    expect((await engine.shouldRateLimit(req('d', [[['ip', 'h3']]], 3))).overallCode).toBe('OK')
  })

  it('uses the algorithm of the rule (a token bucket with burst 2)', async () => {
    const r = await engine.shouldRateLimit(req('d', [[['user', 'u']]]))
    expect(r.statuses[0]).toMatchObject({ code: 'OK', limitRemaining: 1, limit: 2 })
  })

  it('is OVER_LIMIT overall when any descriptor is, and says which', async () => {
    await engine.shouldRateLimit(req('d', [[['ip', 'm']]], 3))
    const r = await engine.shouldRateLimit(req('d', [[['user', 'm']], [['ip', 'm']]]))
    expect(r.overallCode).toBe('OVER_LIMIT')
    expect(r.statuses.map((s) => s.code)).toEqual(['OK', 'OVER_LIMIT'])
  })

  it('keeps the hits the admitting descriptors took when the request is refused as a whole (Envoy)', async () => {
    await engine.shouldRateLimit(req('d', [[['ip', 'x']]], 3))
    const statuses = []
    for (let i = 0; i < 3; i++) {
      const r = await engine.shouldRateLimit(req('d', [[['user', 'shared']], [['ip', 'x']]]))
      expect(r.overallCode).toBe('OVER_LIMIT')
      statuses.push(r.statuses[0]!.code)
    }
    // The shared bucket (burst 2) counted every refused request, as envoyproxy/ratelimit counts it.
    expect(statuses).toEqual(['OK', 'OK', 'OVER_LIMIT'])
  })

  it('gives back what the admitting descriptors took with RATE_LIMITER_STOP_INCREMENT_WHEN_OVER_LIMIT', async () => {
    const pool = new LimiterPool({ instances: 1, retryMs: 100, log: createLogger('silent') })
    engine = new RateLimitEngine(pool, metrics, () => CONFIG, { stopIncrementWhenOverLimit: true })
    // `user` (token bucket, burst 2) is shared here; `ip` x runs out after 3.
    await engine.shouldRateLimit(req('d', [[['ip', 'x']]], 3))
    for (let i = 0; i < 5; i++) {
      const r = await engine.shouldRateLimit(req('d', [[['user', 'shared']], [['ip', 'x']]]))
      expect(r.overallCode).toBe('OVER_LIMIT')
      // The shared bucket admitted, then got its token back: still full.
      expect(r.statuses[0]).toMatchObject({ code: 'OK', limitRemaining: 2 })
    }
    expect((await engine.inspect('d', [{ key: 'user', value: 'shared' }])).state).toMatchObject({
      remaining: 2,
    })
  })

  it('never limits unlimited; always limits requests_per_unit 0', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await engine.shouldRateLimit(req('d', [[['vip', 'x']]]))
      expect(r.statuses[0]).toMatchObject({ code: 'OK', limitRemaining: UINT32_MAX })
      expect(r.statuses[0]!.currentLimit).toBeUndefined()
    }
    expect((await engine.shouldRateLimit(req('d', [[['blocked', 'x']]]))).overallCode).toBe('OVER_LIMIT')
  })

  it('does not limit unknown domains or unmatched descriptors, and counts them', async () => {
    const r = await engine.shouldRateLimit(req('nope', [[['ip', 'a']]]))
    expect(r).toEqual({
      overallCode: 'OK',
      statuses: [{ code: 'OK', limitRemaining: 0, durationUntilResetMs: 0 }],
    })
    await engine.shouldRateLimit(req('d', [[['unknown', 'a']]]))
    await engine.shouldRateLimit(req('d', [[['unknown', 'b']]]))
    // The unknown domain is not a label value (clients cannot mint series); the known one is.
    expect(Object.fromEntries(metrics.unmatched)).toEqual({ '\u0000unknown_domain': 1, 'd\u0000no_rule': 2 })
  })

  it('answers OK in shadow mode and counts shadow_limited', async () => {
    await engine.shouldRateLimit(req('d', [[['trial', 't']]]))
    const r = await engine.shouldRateLimit(req('d', [[['trial', 't']]]))
    expect(r.overallCode).toBe('OK')
    expect(r.statuses[0]!.shadow).toBe(true)
    expect(metrics.rule('d.trial', 'd').shadowLimited).toBe(1)
    build(true) // RATE_LIMITER_SHADOW_MODE: OK overall, the statuses as they are (as Envoy answers)
    const statuses = []
    for (let i = 0; i < 5; i++) {
      const r = await engine.shouldRateLimit(req('d', [[['ip', 's']]]))
      expect(r.overallCode).toBe('OK')
      statuses.push(r.statuses[0]!.code)
    }
    expect(statuses).toEqual(['OK', 'OK', 'OK', 'OVER_LIMIT', 'OVER_LIMIT'])
    expect(metrics.rule('d.ip', 'd')).toMatchObject({ allowed: 3, limited: 2, shadowLimited: 0 })
    expect(metrics.globalShadow).toBe(2)
  })

  it('skips a rule named in the replaces of another matched rule', async () => {
    await engine.shouldRateLimit(req('d', [[['global', 'g']]]))
    expect((await engine.shouldRateLimit(req('d', [[['global', 'g']]]))).overallCode).toBe('OVER_LIMIT')
    const r = await engine.shouldRateLimit(req('d', [[['global', 'g']], [['special', 's']]]))
    expect(r.overallCode).toBe('OK')
    expect(r.statuses[0]!.currentLimit).toBeUndefined()
  })

  it("applies Envoy's limit override with its own numbers", async () => {
    const over = (value: string) =>
      engine.shouldRateLimit({
        domain: 'd',
        descriptors: [{ entries: [{ key: 'ip', value }], limit: { requestsPerUnit: 1, unit: 'MINUTE' } }],
        hitsAddend: 0,
      })
    const first = await over('o')
    expect(first.statuses[0]).toMatchObject({
      code: 'OK',
      currentLimit: { requestsPerUnit: 1, unit: 'MINUTE' },
    })
    expect((await over('o')).overallCode).toBe('OVER_LIMIT')
  })

  it('labels detailed_metric rules with the value', async () => {
    await engine.shouldRateLimit(req('d', [[['path', '/a']]]))
    await engine.shouldRateLimit(req('d', [[['path', '/b']]]))
    expect(metrics.all().map((s) => s.id)).toEqual(['d.path_/a', 'd.path_/b'])
  })

  it('inspects and resets one descriptor', async () => {
    await engine.shouldRateLimit(req('d', [[['ip', 'r']]], 3))
    const before = await engine.inspect('d', [{ key: 'ip', value: 'r' }])
    expect(before).toMatchObject({ match: 'rule', key: 'd|ip=r', state: { allowed: false, remaining: 0 } })
    expect(await engine.reset('d', [{ key: 'ip', value: 'r' }])).toBe(true)
    expect((await engine.inspect('d', [{ key: 'ip', value: 'r' }])).state).toMatchObject({
      allowed: true,
      remaining: 3,
    })
    expect(await engine.reset('d', [{ key: 'nope', value: 'r' }])).toBe(false)
  })
})
