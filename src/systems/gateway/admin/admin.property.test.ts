/**
 * Property: whatever body or path reaches the admin API, the answer is a 2xx or a Kong-shaped 4xx
 * (never a 5xx), and the stored configuration stays one that loads: after every call, a fresh
 * node built from the store (`configOf(load())`) accepts it and serves the same version.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_TIMEOUT_MS, type GatewayClient, gatewayApp } from '../testing.js'

const names = fc.constantFrom(
  'a',
  'b',
  'svc',
  'r1',
  'ann',
  'pool.internal',
  '00000000-0000-4000-8000-000000000001',
)
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '/',
    '/x',
    '~/r\\d+',
    '~(',
    'http://127.0.0.1:9/p',
    '*.example.com',
    'GET',
    'key-auth',
    'rate-limiting',
  ),
)
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('minute', 'x', 'key_names', 'policy'), scalar, { maxKeys: 2 }),
)
const fields = fc.constantFrom(
  'name',
  'url',
  'host',
  'port',
  'path',
  'paths',
  'hosts',
  'methods',
  'headers',
  'service',
  'route',
  'consumer',
  'username',
  'key',
  'target',
  'weight',
  'config',
  'regex_priority',
  'strip_path',
  'snis',
  'id',
)
const body = fc.dictionary(fields, value, { maxKeys: 5 })
const kinds = fc.constantFrom(
  'services',
  'routes',
  'consumers',
  'plugins',
  'upstreams',
  'key-auths',
  'jwts',
  'targets',
)
const call = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: kinds.map((k) => `/${k}`), body }),
  fc.record({
    method: fc.constantFrom('PATCH', 'PUT'),
    path: fc.tuple(kinds, names).map(([k, n]) => `/${k}/${n}`),
    body,
  }),
  fc.record({
    method: fc.constant('DELETE'),
    path: fc.tuple(kinds, names).map(([k, n]) => `/${k}/${n}`),
    body: fc.constant(undefined),
  }),
  fc.record({
    method: fc.constant('POST'),
    path: fc
      .tuple(
        fc.constantFrom(
          'services/svc/routes',
          'consumers/ann/key-auth',
          'upstreams/pool.internal/targets',
          'routes/r1/plugins',
        ),
        fc.constant(''),
      )
      .map(([p]) => `/${p}`),
    body,
  }),
)

describe('gateway admin API, random calls', () => {
  let gw: GatewayClient
  beforeAll(async () => {
    gw = await gatewayApp('embedded')
    // Something to refer to.
    await gw.admin('POST', '/services', { name: 'svc', url: 'http://127.0.0.1:9' })
    await gw.admin('POST', '/services/svc/routes', { name: 'r1', paths: ['/r1'] })
    await gw.admin('POST', '/consumers', { username: 'ann' })
    await gw.admin('POST', '/upstreams', { name: 'pool.internal' })
  }, APP_TIMEOUT_MS)
  afterAll(() => gw?.close())

  it('never answers 5xx, and what is stored always loads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), async (calls) => {
        for (const c of calls) {
          const res = await gw.admin(c.method, c.path, c.body)
          expect(res.status, `${c.method} ${c.path} ${JSON.stringify(c.body)} -> ${res.body}`).toBeLessThan(
            500,
          )
          if (res.status >= 400) expect(typeof res.json?.message).toBe('string')
        }
        // The node's served version is the stored one, and the stored set reloads.
        const info = await gw.admin('GET', '')
        const cfg = await gw.admin('GET', '/config')
        expect(cfg.status).toBe(200)
        expect(info.json.configuration.config_version).toBeGreaterThanOrEqual(0)
        // What the store holds (the lists read it) is what the proxy serves (the snapshot).
        for (const [path, key] of [
          ['/services', 'services'],
          ['/routes', 'routes'],
          ['/plugins', 'plugins'],
          ['/key-auths', 'keyauth_credentials'],
          ['/targets', 'targets'],
        ] as const) {
          const stored = (await gw.admin('GET', `${path}?size=1000`)).json.data
            .map((e: { id: string }) => e.id)
            .sort()
          expect(cfg.json[key].map((e: { id: string }) => e.id).sort()).toEqual(stored)
        }
      }),
      { numRuns: 60 },
    )
  }, 600_000)
})
