/**
 * The engine's Envoy modes on the memory store: quota_mode (per descriptor
 * and RATE_LIMITER_QUOTA_MODE), per-descriptor metadata in the dynamic
 * metadata, share_threshold, metric names (detailed_metric, value_to_metric),
 * the WEEK unit, and a cost larger than the capacity.
 */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../platform/telemetry/logger.js'
import { parseConfig } from './config.js'
import { type EngineOptions, RateLimitEngine, type RateLimitRequest } from './engine.js'
import { LimiterPool } from './limiters.js'
import { RateLimiterMetrics } from './metrics.js'

const CONFIG = parseConfig(`
domain: q
descriptors:
  - key: regular
    rate_limit: { unit: day, requests_per_unit: 1 }
    metadata: { name: regular, nested: { a: 1 } }
  - key: quota1
    quota_mode: true
    rate_limit: { unit: day, requests_per_unit: 1 }
    metadata: { name: quota1, nested: { b: 2 } }
  - key: quota2
    quota_mode: true
    rate_limit: { unit: day, requests_per_unit: 2 }
  - key: files
    value: files/*
    share_threshold: true
    rate_limit: { unit: hour, requests_per_unit: 10 }
  - key: files_no_share
    value: files_no_share/*
    rate_limit: { unit: hour, requests_per_unit: 10 }
  - key: route
    value_to_metric: true
    descriptors:
      - key: method
        value: read*
        value_to_metric: true
        descriptors:
          - key: subject
            rate_limit: { unit: minute, requests_per_unit: 60 }
  - key: tenant
    descriptors:
      - key: user
        detailed_metric: true
        rate_limit: { unit: minute, requests_per_unit: 60 }
  - key: weekly
    rate_limit: { unit: week, requests_per_unit: 3 }
`)

const req = (pairs: [string, string][][], hitsAddend = 0): RateLimitRequest => ({
  domain: 'q',
  descriptors: pairs.map((entries) => ({ entries: entries.map(([key, value]) => ({ key, value })) })),
  hitsAddend,
})

function engineWith(opts: EngineOptions = {}) {
  const pool = new LimiterPool({ instances: 1, retryMs: 100, log: createLogger('silent') })
  const metrics = new RateLimiterMetrics(new Registry(), () => 1)
  return { engine: new RateLimitEngine(pool, metrics, () => CONFIG, opts), metrics }
}

describe('engine: quota mode', () => {
  it('refuses only when every quota descriptor is over; a regular one refuses alone', async () => {
    const { engine } = engineWith()
    await engine.shouldRateLimit(req([[['quota1', 'x']]])) // quota1 x is now at its limit
    const some = await engine.shouldRateLimit(req([[['quota1', 'x']], [['quota2', 'x']]]))
    expect(some.overallCode).toBe('OK') // quota2 still has room
    expect(some.statuses.map((s) => s.code)).toEqual(['OVER_LIMIT', 'OK'])
    await engine.shouldRateLimit(req([[['quota2', 'x']]])) // quota2 x full too
    const all = await engine.shouldRateLimit(req([[['quota1', 'x']], [['quota2', 'x']]]))
    expect(all.overallCode).toBe('OVER_LIMIT')
    await engine.shouldRateLimit(req([[['regular', 'x']]]))
    const mixed = await engine.shouldRateLimit(req([[['regular', 'x']], [['quota2', 'y']]]))
    expect(mixed.overallCode).toBe('OVER_LIMIT') // a regular descriptor over the limit refuses
  })

  it('puts every descriptor in quota mode with RATE_LIMITER_QUOTA_MODE', async () => {
    const { engine } = engineWith({ globalQuota: true })
    await engine.shouldRateLimit(req([[['regular', 'g']]]))
    const r = await engine.shouldRateLimit(req([[['regular', 'g']], [['quota2', 'g']]]))
    expect(r.overallCode).toBe('OK')
    expect(r.statuses.map((s) => s.code)).toEqual(['OVER_LIMIT', 'OK'])
  })
})

describe('engine: dynamic metadata', () => {
  it('returns the request and the merged metadata of the descriptors that passed', async () => {
    const { engine } = engineWith({ dynamicMetadata: true, globalQuota: true })
    await engine.shouldRateLimit(req([[['quota1', 'm']]]))
    const r = await engine.shouldRateLimit(req([[['regular', 'm']], [['quota1', 'm']]], 1))
    expect(r.overallCode).toBe('OK')
    expect(r.dynamicMetadata).toEqual({
      domain: 'q',
      descriptors: [{ entries: ['regular=m'] }, { entries: ['quota1=m'] }],
      hitsAddend: 1,
      metadata: { name: 'regular', nested: { a: 1 } }, // quota1 was over: its metadata is left out
    })
    const both = await engine.shouldRateLimit(req([[['regular', 'n']], [['quota1', 'n']]]))
    // Merged: the first value of a key wins, mappings merge.
    expect(both.dynamicMetadata!.metadata).toEqual({ name: 'regular', nested: { a: 1, b: 2 } })
  })

  it('is absent unless RATE_LIMITER_RESPONSE_DYNAMIC_METADATA is on', async () => {
    const { engine } = engineWith()
    expect((await engine.shouldRateLimit(req([[['regular', 'z']]]))).dynamicMetadata).toBeUndefined()
  })
})

describe('engine: share_threshold and metric names', () => {
  it('makes every value matching a shared wildcard count against one limit', async () => {
    const { engine } = engineWith()
    for (let i = 0; i < 5; i++) await engine.shouldRateLimit(req([[['files', 'files/a.pdf']]]))
    for (let i = 0; i < 5; i++) await engine.shouldRateLimit(req([[['files', 'files/b.csv']]]))
    expect((await engine.shouldRateLimit(req([[['files', 'files/c.txt']]]))).overallCode).toBe('OVER_LIMIT')
    for (let i = 0; i < 10; i++)
      await engine.shouldRateLimit(req([[['files_no_share', 'files_no_share/a.pdf']]]))
    const other = await engine.shouldRateLimit(req([[['files_no_share', 'files_no_share/b.csv']]]))
    expect(other.overallCode).toBe('OK') // without sharing each value has its own limit
  })

  it('names metrics as envoyproxy/ratelimit names its stats', async () => {
    const { engine, metrics } = engineWith()
    await engine.shouldRateLimit(req([[['files', 'files/a.pdf']]]))
    await engine.shouldRateLimit(req([[['files_no_share', 'files_no_share/a.pdf']]]))
    await engine.shouldRateLimit(
      req([
        [
          ['route', 'api'],
          ['method', 'readfile'],
          ['subject', '123'],
        ],
      ]),
    )
    await engine.shouldRateLimit(
      req([
        [
          ['tenant', 'acme'],
          ['user', 'u1'],
        ],
      ]),
    )
    const ids = metrics.all().map((s) => s.id)
    expect(ids).toEqual([
      'q.files_files/*',
      'q.files_no_share_files_no_share/*',
      'q.route_api.method_readfile.subject',
      'q.tenant_acme.user_u1',
    ])
  })
})

describe('engine: units and costs', () => {
  it('limits per WEEK (7 days)', async () => {
    const { engine } = engineWith()
    const r = await engine.shouldRateLimit(req([[['weekly', 'w']]]))
    expect(r.statuses[0]).toMatchObject({ currentLimit: { unit: 'WEEK' }, periodMs: 7 * 86_400_000 })
  })

  it('answers a cost larger than the limit with the key as it is, not a full window', async () => {
    const { engine } = engineWith()
    const fresh = await engine.shouldRateLimit(req([[['weekly', 'big']]], 4))
    expect(fresh.statuses[0]).toMatchObject({
      code: 'OVER_LIMIT',
      limitRemaining: 3,
      durationUntilResetMs: 0,
    })
    await engine.shouldRateLimit(req([[['weekly', 'big']]]))
    const used = await engine.shouldRateLimit(req([[['weekly', 'big']]], 4))
    expect(used.statuses[0]!.limitRemaining).toBe(2)
    expect(used.statuses[0]!.durationUntilResetMs).toBeGreaterThan(0)
  })
})
