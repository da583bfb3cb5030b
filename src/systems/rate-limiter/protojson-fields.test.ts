/**
 * `/rate-limiter/json` refuses fields RateLimitRequest does not have, as envoyproxy/ratelimit's
 * `protojson.Unmarshal` does (400), naming the field; both protojson names of a field are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type RateLimiterTestApp, rateLimiterApp } from './testing.js'

const YAML = `
domain: web
descriptors:
  - key: client
    rate_limit: { unit: minute, requests_per_unit: 100 }
`

describe.each(backends())('RLS JSON: unknown fields (%s)', (backend) => {
  let t: RateLimiterTestApp
  beforeAll(async () => {
    t = await rateLimiterApp(backend, YAML)
  })
  afterAll(() => t.close())

  it.each([
    [
      'a top-level field',
      { domain: 'web', descriptors: [{ entries: [{ key: 'client', value: 'a' }] }], hitAddend: 3 },
      'hitAddend',
    ],
    [
      'a descriptor field',
      { domain: 'web', descriptors: [{ entries: [{ key: 'client', value: 'a' }], hits: 2 }] },
      'descriptors[0].hits',
    ],
    [
      'an entry field',
      { domain: 'web', descriptors: [{ entries: [{ key: 'client', value: 'a', extra: 1 }] }] },
      'descriptors[0].entries[0].extra',
    ],
    [
      'a limit field',
      {
        domain: 'web',
        descriptors: [
          {
            entries: [{ key: 'client', value: 'a' }],
            limit: { unit: 'SECOND', requestsPerUnit: 1, burst: 2 },
          },
        ],
      },
      'descriptors[0].limit.burst',
    ],
  ])('%s is a 400 naming it', async (_what, body, field) => {
    const res = await t.decide(body)
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ code: 'RATE_LIMITER_INVALID_REQUEST', invalidParams: [{ name: field }] })
  })

  it('reads both protojson names of a field', async () => {
    const entries = [{ key: 'client', value: 'names' }]
    expect((await t.decide({ domain: 'web', descriptors: [{ entries }], hits_addend: 2 })).status).toBe(200)
    expect((await t.decide({ domain: 'web', descriptors: [{ entries, hitsAddend: 2 }] })).status).toBe(200)
    const limit = { requests_per_unit: 1, unit: 'HOUR' }
    expect((await t.decide({ domain: 'web', descriptors: [{ entries, limit }] })).status).toBe(200)
  })
})
