/**
 * ShouldRateLimit over real gRPC (HTTP/2), with a grpc-js client built from
 * the shipped protos, as Envoy would call it.
 */
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rlsService } from './grpc.js'
import { type RateLimiterTestApp, rateLimiterApp } from './testing.js'

const YAML = `
domain: envoy
descriptors:
  - key: remote_address
    rate_limit: { unit: minute, requests_per_unit: 2, name: per-ip }
  - key: tenant
    rate_limit: { unit: hour, requests_per_unit: 100, algorithm: token_bucket }
`

// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped
type Msg = any
type Call = (req: object, cb: (err: grpc.ServiceError | null, res?: Msg) => void) => void

describe('Envoy RLS over gRPC', () => {
  let t: RateLimiterTestApp
  let client: grpc.Client & { ShouldRateLimit: Call }
  const call = (req: object) =>
    new Promise<Msg>((resolve, reject) =>
      client.ShouldRateLimit(req, (err, res) => (err ? reject(err) : resolve(res))),
    )
  const fails = (req: object) =>
    new Promise<grpc.ServiceError>((resolve, reject) =>
      client.ShouldRateLimit(req, (err) => (err ? resolve(err) : reject(new Error('the call succeeded')))),
    )

  beforeAll(async () => {
    t = await rateLimiterApp('embedded', YAML, { RATE_LIMITER_RESPONSE_HEADERS: 'true' })
    const { grpc: addr } = (await t.app.http.inject({ url: '/rate-limiter/stats' })).json()
    const Service = rlsService()
    client = new Service(
      `127.0.0.1:${addr.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as typeof client
  })
  afterAll(async () => {
    client?.close()
    await t?.close()
  })

  it('answers OK then OVER_LIMIT with statuses, limits and durations', async () => {
    const req = {
      domain: 'envoy',
      descriptors: [{ entries: [{ key: 'remote_address', value: '10.1.1.1' }] }],
    }
    const ok = await call(req)
    expect(ok.overallCode).toBe('OK')
    expect(ok.statuses[0]).toMatchObject({
      code: 'OK',
      currentLimit: { requestsPerUnit: 2, unit: 'MINUTE', name: 'per-ip' },
      limitRemaining: 1,
    })
    expect(Number(ok.statuses[0].durationUntilReset.seconds)).toBeLessThanOrEqual(60)
    expect(ok.responseHeadersToAdd.map((h: { key: string }) => h.key).sort()).toEqual([
      'ratelimit',
      'ratelimit-policy',
    ])
    expect(ok.responseHeadersToAdd.find((h: { key: string }) => h.key === 'ratelimit-policy').value).toBe(
      '"envoy.remote_address";q=2;w=60',
    )
    await call(req)
    const over = await call(req)
    expect(over.overallCode).toBe('OVER_LIMIT')
    expect(over.statuses[0]).toMatchObject({ code: 'OVER_LIMIT' })
    expect(over.responseHeadersToAdd.map((h: { key: string }) => h.key)).toContain('retry-after')
  })

  it('takes hits_addend per request and per descriptor', async () => {
    const r = await call({
      domain: 'envoy',
      hitsAddend: 10,
      descriptors: [
        { entries: [{ key: 'tenant', value: 'a' }] },
        { entries: [{ key: 'tenant', value: 'b' }], hitsAddend: { value: 40 } },
      ],
    })
    expect(r.statuses.map((s: { limitRemaining: number }) => s.limitRemaining)).toEqual([90, 60])
  })

  it('does not limit what no rule matches', async () => {
    const r = await call({ domain: 'unknown', descriptors: [{ entries: [{ key: 'a', value: 'b' }] }] })
    expect(r.overallCode).toBe('OK')
    expect(r.statuses[0].currentLimit ?? null).toBeNull()
  })

  it('refuses invalid messages with INVALID_ARGUMENT naming the field', async () => {
    const cases: [object, string][] = [
      [{ domain: '', descriptors: [{ entries: [{ key: 'a', value: 'b' }] }] }, 'domain'],
      [{ domain: 'envoy', descriptors: [] }, 'descriptors'],
      [{ domain: 'envoy', descriptors: [{ entries: [] }] }, 'descriptors[0].entries'],
      [
        { domain: 'envoy', descriptors: [{ entries: [{ key: 'a', value: '' }] }] },
        'descriptors[0].entries[0].value',
      ],
      [
        {
          domain: 'envoy',
          descriptors: [{ entries: [{ key: 'a', value: 'b' }], hitsAddend: { value: 2_000_000_000 } }],
        },
        'hitsAddend',
      ],
    ]
    for (const [req, field] of cases) {
      const err = await fails(req)
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT)
      expect(err.details).toContain(field)
    }
  })

  it('answers INVALID_ARGUMENT to bytes that are not a RateLimitRequest', async () => {
    const garbage = [
      Buffer.from([0x0a, 0xff, 0x01]),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.from('{"domain":"x"}'),
    ]
    for (const bytes of garbage) {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
        client.makeUnaryRequest(
          '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (e) => (e ? resolve(e) : reject(new Error('the call succeeded'))),
        ),
      )
      // Undecodable, or decoded into a message without a domain: either way the caller's fault.
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT)
      expect(err.details).toMatch(/not a RateLimitRequest|domain/)
    }
  })

  it('takes the WEEK unit of a limit override (enum 7)', async () => {
    const r = await call({
      domain: 'envoy',
      descriptors: [
        { entries: [{ key: 'remote_address', value: 'w' }], limit: { requestsPerUnit: 9, unit: 'WEEK' } },
      ],
    })
    expect(r.statuses[0]).toMatchObject({ code: 'OK', currentLimit: { requestsPerUnit: 9, unit: 'WEEK' } })
  })

  it('refuses an oversized message without decoding it, and keeps serving', async () => {
    const big = {
      domain: 'envoy',
      descriptors: [{ entries: [{ key: 'k', value: 'x'.repeat(2 * 1024 * 1024) }] }],
    }
    expect((await fails(big)).code).toBe(grpc.status.RESOURCE_EXHAUSTED)
    const r = await call({ domain: 'envoy', descriptors: [{ entries: [{ key: 'tenant', value: 'after' }] }] })
    expect(r.overallCode).toBe('OK')
  })
})
