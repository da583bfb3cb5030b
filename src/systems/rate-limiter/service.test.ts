/**
 * The service over HTTP: the JSON endpoint, bad input, the admin routes and
 * hot reload (file and admin override), on each backend.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type RateLimiterTestApp, rateLimiterApp } from './testing.js'

const YAML = `
domain: api
descriptors:
  - key: client
    rate_limit: { unit: hour, requests_per_unit: 2 }
  - key: bucket
    rate_limit: { unit: hour, requests_per_unit: 5, algorithm: gcra }
`
const TOKEN = 'admin-secret'
const one = (key: string, value: string, extra: object = {}) => ({
  domain: 'api',
  descriptors: [{ entries: [{ key, value }] }],
  ...extra,
})

describe.each(backends())('rate limiter service (%s)', (backend) => {
  let t: RateLimiterTestApp
  const admin = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    url: string,
    payload?: string,
    auth = `Bearer ${TOKEN}`,
  ) =>
    t.app.http.inject({
      method,
      url,
      headers: { authorization: auth, ...(payload !== undefined && { 'content-type': 'application/yaml' }) },
      ...(payload !== undefined && { payload }),
    })
  beforeAll(async () => {
    t = await rateLimiterApp(backend, YAML, { RATE_LIMITER_ADMIN_TOKEN: TOKEN })
  })
  afterAll(() => t.close())

  it('answers OK with 200 and OVER_LIMIT with 429, in the JSON mapping', async () => {
    const a = await t.decide(one('client', 'c1'))
    expect(a.status).toBe(200)
    expect(a.json).toEqual({
      overallCode: 'OK',
      statuses: [
        {
          code: 'OK',
          currentLimit: { requestsPerUnit: 2, unit: 'HOUR' },
          limitRemaining: 1,
          durationUntilReset: expect.stringMatching(/^\d+(\.\d{3})?s$/),
        },
      ],
    })
    await t.decide(one('client', 'c1'))
    const c = await t.decide(one('client', 'c1'))
    expect(c.status).toBe(429)
    expect(c.json.overallCode).toBe('OVER_LIMIT')
    expect(c.json.statuses[0]).toMatchObject({ code: 'OVER_LIMIT', limitRemaining: 0 })
  })

  it('accepts snake_case and string hits as protojson does', async () => {
    const r = await t.decide({
      domain: 'api',
      descriptors: [{ entries: [{ key: 'bucket', value: 's' }], hits_addend: '4' }],
    })
    expect(r.json.statuses[0].limitRemaining).toBe(1)
  })

  it("takes Envoy's limit override in snake_case and camelCase, WEEK included", async () => {
    const over = (limit: object, value: string) =>
      t.decide({ domain: 'api', descriptors: [{ entries: [{ key: 'client', value }], limit }] })
    const snake = await over({ requests_per_unit: 7, unit: 'WEEK' }, 'o1')
    expect(snake.status).toBe(200)
    expect(snake.json.statuses[0]).toMatchObject({
      currentLimit: { requestsPerUnit: 7, unit: 'WEEK' },
      limitRemaining: 6,
    })
    const camel = await over({ requestsPerUnit: 3, unit: 'DAY' }, 'o2')
    expect(camel.json.statuses[0]).toMatchObject({ currentLimit: { requestsPerUnit: 3, unit: 'DAY' } })
    // protojson writes and reads a uint32 as a number or a decimal string.
    const text = await over({ requestsPerUnit: '5', unit: 'HOUR' }, 'o3')
    expect(text.status).toBe(200)
    expect(text.json.statuses[0]).toMatchObject({ currentLimit: { requestsPerUnit: 5 }, limitRemaining: 4 })
    expect((await over({ requests_per_unit: '4294967296', unit: 'HOUR' }, 'o4')).status).toBe(400)
    expect((await over({ requests_per_unit: '1e3', unit: 'HOUR' }, 'o5')).status).toBe(400)
  })

  it('refuses a field given under both its names, as protojson parsers do', async () => {
    const twice = await t.decide({
      domain: 'api',
      hitsAddend: 1,
      hits_addend: 2,
      descriptors: [{ entries: [{ key: 'client', value: 'tw' }] }],
    })
    expect(twice.status).toBe(400)
    expect(twice.json.invalidParams).toEqual([
      { name: 'hitsAddend', reason: expect.stringContaining('twice') },
    ])
    const limit = await t.decide({
      domain: 'api',
      descriptors: [
        {
          entries: [{ key: 'client', value: 'tw' }],
          limit: { requestsPerUnit: 1, requests_per_unit: 9, unit: 'HOUR' },
        },
      ],
    })
    expect(limit.status).toBe(400)
    expect(limit.json.invalidParams[0].name).toBe('descriptors[0].limit.requestsPerUnit')
  })

  it.each([
    ['an empty domain', { domain: '', descriptors: [{ entries: [{ key: 'a', value: 'b' }] }] }, 'domain'],
    ['no descriptors', { domain: 'api', descriptors: [] }, 'descriptors'],
    // protojson does not read a number as a string: no coercion to "5".
    ['a number as domain', { domain: 5, descriptors: [{ entries: [{ key: 'a', value: 'b' }] }] }, 'domain'],
    [
      'a number as value',
      { domain: 'api', descriptors: [{ entries: [{ key: 'a', value: 5 }] }] },
      'descriptors[0].entries[0].value',
    ],
    ['an empty entry list', { domain: 'api', descriptors: [{ entries: [] }] }, 'descriptors[0].entries'],
    [
      'an empty value',
      { domain: 'api', descriptors: [{ entries: [{ key: 'a', value: '' }] }] },
      'descriptors[0].entries[0].value',
    ],
    ['a negative cost', one('client', 'x', { hitsAddend: -1 }), 'hitsAddend'],
    ['a huge cost', one('client', 'x', { hitsAddend: 5_000_000_000 }), 'hitsAddend'],
    ['a fractional cost', one('client', 'x', { hitsAddend: '1.5' }), 'hitsAddend'],
    [
      'a bad override unit',
      {
        domain: 'api',
        descriptors: [
          { entries: [{ key: 'a', value: 'b' }], limit: { requestsPerUnit: 1, unit: 'FORTNIGHT' } },
        ],
      },
      'descriptors[0].limit.unit',
    ],
    [
      'too many descriptors',
      {
        domain: 'api',
        descriptors: Array.from({ length: 65 }, () => ({ entries: [{ key: 'a', value: 'b' }] })),
      },
      'descriptors',
    ],
  ])('refuses %s with a 400 naming the field', async (_what, body, field) => {
    const r = await t.decide(body)
    expect(r.status).toBe(400)
    expect(JSON.stringify(r.json)).toContain(field)
    expect(r.json.status).toBe(400)
  })

  it('never answers a 5xx, whatever the body', async () => {
    const entry = fc.record({
      key: fc.oneof(fc.string(), fc.integer()),
      value: fc.oneof(fc.string(), fc.constant(null)),
    })
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({
        domain: fc.oneof(fc.constant('api'), fc.string()),
        descriptors: fc.oneof(
          fc.array(
            fc.record({
              entries: fc.array(entry, { maxLength: 20 }),
              hitsAddend: fc.option(fc.oneof(fc.integer(), fc.string())),
            }),
            { maxLength: 70 },
          ),
          fc.jsonValue(),
        ),
        hitsAddend: fc.option(fc.oneof(fc.integer(), fc.double(), fc.string())),
      }),
    )
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await t.app.http.inject({
          method: 'POST',
          url: '/rate-limiter/json',
          payload: JSON.stringify(b),
          headers: { 'content-type': 'application/json' },
        })
        expect([200, 400, 429]).toContain(res.statusCode)
      }),
      { numRuns: 150 },
    )
  })

  it('shows and resets the state of one descriptor (admin, with the token)', async () => {
    await t.decide(one('client', 'st'))
    expect(
      (await admin('GET', '/rate-limiter/state?domain=api&key=client&value=st', undefined, 'Bearer wrong'))
        .statusCode,
    ).toBe(401)
    const s = await admin('GET', '/rate-limiter/state?domain=api&key=client&value=st')
    expect(s.json()).toMatchObject({
      rule: { id: 'api.client', algorithm: 'fixed_window' },
      state: { remaining: 1 },
    })
    expect((await admin('DELETE', '/rate-limiter/state?domain=api&key=client&value=st')).statusCode).toBe(204)
    expect(
      (await admin('GET', '/rate-limiter/state?domain=api&key=client&value=st')).json().state.remaining,
    ).toBe(2)
    expect((await admin('GET', '/rate-limiter/state?domain=api&key=nope&value=x')).statusCode).toBe(404)
    expect((await admin('GET', '/rate-limiter/state?domain=api&key=a&key=b&value=x')).statusCode).toBe(400)
  })

  it('names the admin token in the OpenAPI document: the admin routes require it, the decision route not', async () => {
    const doc = (await t.app.http.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.components.securitySchemes.rateLimiterBearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    const ops = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>).flatMap(
      ([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, security: op.security })),
    )
    const admin = ops.filter((o) => /^\/rate-limiter\/(config|reload|state)/.test(o.path))
    expect(admin.length).toBeGreaterThanOrEqual(5)
    for (const op of admin)
      expect(op, `${op.method} ${op.path}`).toMatchObject({ security: [{ rateLimiterBearer: [] }] })
    const decide = ops.filter((o) => o.method === 'post' && !/config|reload|state/.test(o.path))
    expect(decide.length).toBeGreaterThan(0)
    for (const op of decide) expect(op.security).toEqual([])
  })

  it('reloads the file without dropping state, and refuses a broken one keeping the old', async () => {
    await t.decide(one('client', 'rl'))
    t.writeConfig(YAML.replace('requests_per_unit: 2', 'requests_per_unit: 3'))
    await waitFor(
      'the new limit',
      async () => (await admin('GET', '/rate-limiter/config')).json().rules[0].requestsPerUnit === 3,
    )
    // One was used before the reload: two remain under the new limit of 3.
    expect((await t.decide(one('client', 'rl'))).json.statuses[0]).toMatchObject({
      currentLimit: { requestsPerUnit: 3 },
      limitRemaining: 1,
    })

    t.writeConfig('domain: api\ndescriptors:\n  - key: client\n    rate_limit: { unit: fortnight }')
    await waitFor(
      'the refusal',
      async () => (await admin('GET', '/rate-limiter/config')).json().lastError !== undefined,
    )
    const cfg = (await admin('GET', '/rate-limiter/config')).json()
    expect(cfg.lastError).toContain("invalid rate limit unit 'fortnight'")
    expect(cfg.rules[0].requestsPerUnit).toBe(3)
    const reload = await admin('POST', '/rate-limiter/config/reload')
    expect(reload.statusCode).toBe(422)
    expect(reload.json().detail).toContain('the previous configuration stays')
    t.writeConfig(YAML)
    await waitFor(
      'the good file again',
      async () => (await admin('GET', '/rate-limiter/config')).json().lastError === undefined,
    )
  })

  it('serves an admin override over the file until it is deleted', async () => {
    const bad = await admin(
      'PUT',
      '/rate-limiter/config',
      'domain: api\ndescriptors: [{ key: client, rate_limt: {} }]',
    )
    expect(bad.statusCode).toBe(422)
    expect(bad.json().detail).toContain("unknown key 'rate_limt'")
    const put = await admin(
      'PUT',
      '/rate-limiter/config',
      'domain: other\ndescriptors:\n  - key: k\n    rate_limit: { unit: hour, requests_per_unit: 1 }',
    )
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ source: 'admin', domains: ['other'] })
    expect(
      (await t.decide({ domain: 'other', descriptors: [{ entries: [{ key: 'k', value: 'v' }] }] })).status,
    ).toBe(200)
    expect(
      (await t.decide({ domain: 'other', descriptors: [{ entries: [{ key: 'k', value: 'v' }] }] })).status,
    ).toBe(429)
    // The file's domain is not served while the override is.
    expect((await t.decide(one('client', 'ov'))).json.statuses[0].currentLimit).toBeUndefined()
    expect((await admin('PUT', '/rate-limiter/config', 'x', 'Bearer nope')).statusCode).toBe(401)
    expect((await admin('DELETE', '/rate-limiter/config/override')).statusCode).toBe(204)
    expect((await admin('GET', '/rate-limiter/config')).json()).toMatchObject({
      source: 'file',
      domains: ['api'],
    })
    expect((await admin('DELETE', '/rate-limiter/config/override')).statusCode).toBe(404)
  })

  it('exposes counters per rule in /stats and /metrics', async () => {
    const stats = (await t.app.http.inject({ url: '/rate-limiter/stats' })).json()
    expect(stats.store).toBe(backend === 'services' ? 'redis' : 'memory')
    expect(stats.rules.find((r: { id: string }) => r.id === 'api.client')).toMatchObject({
      allowed: expect.any(Number),
      limited: expect.any(Number),
    })
    const text = (await t.app.http.inject({ url: '/metrics' })).body
    expect(text).toMatch(
      /rate_limiter_decisions_total\{domain="api",descriptor="api.client",outcome="limited"\} [1-9]/,
    )
    expect(text).toMatch(
      /rate_limiter_decision_duration_seconds_count\{domain="api",descriptor="api.client"\} [1-9]/,
    )
    expect(text).toMatch(/rate_limiter_config_reloads_total\{result="error"\} [1-9]/)
  })
})
