/**
 * Conformance with envoyproxy/ratelimit: the outcomes its documentation and
 * its tests (config, service and integration suites) assert, reproduced
 * through a grpc-js client built straight from Envoy's RLS protos (proto/),
 * against configuration files in its format (conformance/*.yaml): nested
 * descriptors, wildcards, shadow mode (per rule and global), unlimited,
 * replaces, quota mode and metadata, detailed metrics, the limit override,
 * hits_addend, the WEEK unit, and reload of a configuration directory with
 * domains merged across files. On each backend.
 *
 * Known, documented differences (README, Conformance): the descriptor that
 * is over the limit is not charged for the refused hit (Envoy's counter
 * grows past the limit), so its limitRemaining stays 0 either way.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackendName, backends, uniqueId } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { fromStruct } from './dynamic-metadata.js'
import { type RateLimiterTestApp, rateLimiterApp } from './testing.js'

const CONFORMANCE = fileURLToPath(new URL('./conformance/', import.meta.url))
const PROTOS = fileURLToPath(new URL('./proto/', import.meta.url))

// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped
type Msg = any
type Pairs = [string, string][][]

/** A RateLimitService client as any Envoy-protocol client builds it: proto-loader on Envoy's rls.proto. */
function rlsClient(port: number) {
  const def = protoLoader.loadSync('envoy/service/ratelimit/v3/rls.proto', {
    includeDirs: [PROTOS],
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  })
  const pkg = grpc.loadPackageDefinition(def) as Msg
  const Service = pkg.envoy.service.ratelimit.v3.RateLimitService
  const client = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  const call = (req: object): Promise<Msg> =>
    new Promise((resolve, reject) =>
      client.ShouldRateLimit(req, (err: Error | null, res: Msg) => (err ? reject(err) : resolve(res))),
    )
  return { client: client as grpc.Client, call }
}

async function serve(backend: BackendName, config: string, env: Record<string, string> = {}) {
  const t = await rateLimiterApp(backend, '', { RATE_LIMITER_CONFIG: config, ...env })
  const { grpc: addr } = (await t.app.http.inject({ url: '/rate-limiter/stats' })).json()
  return { t, ...rlsClient(addr.port) }
}

/** A RateLimitRequest; each descriptor's values get `tag` appended so runs never share state. */
const request = (domain: string, descriptors: Pairs, extra: object = {}) => ({
  domain,
  descriptors: descriptors.map((entries) => ({ entries: entries.map(([key, value]) => ({ key, value })) })),
  ...extra,
})

describe.each(backends())('conformance with envoyproxy/ratelimit (%s)', (backend) => {
  let t: RateLimiterTestApp
  let call: (req: object) => Promise<Msg>
  let client: grpc.Client
  let tag: string
  const v = (value: string) => `${value}-${tag}`
  beforeAll(async () => {
    ;({ t, call, client } = await serve(backend, join(CONFORMANCE, 'example.yaml'), {
      RATE_LIMITER_RESPONSE_DYNAMIC_METADATA: 'true',
    }))
  })
  afterAll(async () => {
    client?.close()
    await t?.close()
  })
  const fresh = () => {
    tag = uniqueId()
  }
  /** The nested descriptor `foo` (tagged) then `bar`, as the README's examples use it. */
  const fooBar = (foo: string, bar: string): [string, string][] => [
    ['foo', v(foo)],
    ['bar', bar],
  ]
  /** The overall code of one call to domain `rl`. */
  const codeOf = async (d: Pairs): Promise<string> => (await call(request('rl', d))).overallCode
  /** The overall codes of `n` calls in a row. */
  const codes = async (d: Pairs, n: number) => {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(await codeOf(d))
    return out
  }

  it('limits a key alone, and its nested default and specific values (README examples 1-2)', async () => {
    fresh()
    expect(await codes([[['foo', v('f')]]], 3)).toEqual(['OK', 'OK', 'OVER_LIMIT'])
    expect(await codes([fooBar('f', 'anything')], 4)).toEqual(['OK', 'OK', 'OK', 'OVER_LIMIT'])
    const first = await call(request('rl', [fooBar('g', 'vip')]))
    expect(first.statuses[0]).toMatchObject({
      code: 'OK',
      currentLimit: { requestsPerUnit: 1, unit: 'DAY', name: 'vip_user' },
      limitRemaining: 0,
    })
    expect(first.statuses[0].durationUntilReset.seconds).toBeLessThanOrEqual(86_400)
    expect(await codeOf([fooBar('g', 'vip')])).toBe('OVER_LIMIT')
  })

  it('does not limit a descriptor more or less specific than the configuration, or an unknown domain', async () => {
    fresh()
    for (const d of [
      [[['source_cluster', 'proxy']]],
      [
        [
          ['foo', v('f')],
          ['bar', 'x'],
          ['extra', 'y'],
        ],
      ],
      [[['nothing', 'here']]],
    ] as Pairs[]) {
      const r = await call(request('rl', d))
      expect(r.overallCode).toBe('OK')
      expect(r.statuses[0]).toMatchObject({ code: 'OK', currentLimit: null, limitRemaining: 0 })
    }
    expect((await call(request('no-such-domain', [[['foo', 'x']]]))).statuses[0].currentLimit).toBe(null)
  })

  it('never limits unlimited descriptors and answers 2^32-1 remaining (service test TestUnlimited)', async () => {
    fresh()
    for (let i = 0; i < 5; i++) {
      const r = await call(
        request('rl', [
          [['qux', v('q')]],
          [
            ['foo', v('u')],
            ['bay', 'z'],
          ],
        ]),
      )
      expect(r.overallCode).toBe('OK')
      for (const s of r.statuses)
        expect(s).toMatchObject({ code: 'OK', currentLimit: null, limitRemaining: 4294967295 })
    }
  })

  it('refuses everything under requests_per_unit 0, unless another matched rule replaces it', async () => {
    fresh()
    expect(await codeOf([fooBar('b', 'banned')])).toBe('OVER_LIMIT')
    const replaced = await call(
      request('rl', [
        fooBar('b', 'banned'),
        [
          ['source_cluster', 'proxy'],
          ['destination_cluster', 'override'],
        ],
      ]),
    )
    expect(replaced.overallCode).toBe('OK')
    expect(replaced.statuses[0]).toMatchObject({ code: 'OK', currentLimit: null })
    expect(replaced.statuses[1]).toMatchObject({ currentLimit: { requestsPerUnit: 2 }, limitRemaining: 1 })
  })

  it('drops the evaluation of a replaced rule, leaving its count untouched (README Replaces)', async () => {
    fresh()
    const both = () => call(request('rl', [fooBar('r', 'vip'), [['category', 'account']]]))
    const overall: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await both()
      expect(r.statuses[0]).toMatchObject({ code: 'OK', currentLimit: null })
      overall.push(r.overallCode)
    }
    expect(overall).toEqual(['OK', 'OK', 'OK', 'OK', 'OVER_LIMIT']) // the account limit of 4 decides
    // vip_user itself was never counted: alone it still admits its 1.
    expect(await codeOf([fooBar('r', 'vip')])).toBe('OK')
  })

  it('answers OK for a rule in shadow mode, while counting it (README ShadowMode)', async () => {
    fresh()
    for (let i = 0; i < 5; i++) {
      const r = await call(
        request('rl', [
          [
            ['foo', v('s')],
            ['baz', 'shady'],
          ],
        ]),
      )
      expect(r.overallCode).toBe('OK')
      expect(r.statuses[0].code).toBe('OK')
    }
    const metrics = (await t.app.http.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(
      /rate_limiter_decisions_total\{domain="rl",descriptor="rl\.foo\.baz_shady",outcome="shadow_limited"\} \d+/,
    )
  })

  it('refuses quota descriptors only together, and returns the metadata of those that passed', async () => {
    fresh()
    const both = () => call(request('rl', [[['service', 'service_1']], [['service', 'service_2']]]))
    // Each tag runs once per process; the services' own values are fixed by the config, so use a fresh app state:
    const first = await both()
    expect(first.overallCode).toBe('OK')
    const second = await both()
    expect(second.statuses.map((s: Msg) => s.code)).toEqual(['OVER_LIMIT', 'OK'])
    expect(second.overallCode).toBe('OK') // service_2 still has quota
    expect(fromStruct(second.dynamicMetadata)).toMatchObject({
      domain: 'rl',
      descriptors: [{ entries: ['service=service_1'] }, { entries: ['service=service_2'] }],
      metadata: { service_with_quota: { name: 'service_2' } },
    })
    const third = await both()
    expect(third.overallCode).toBe('OVER_LIMIT') // every quota descriptor is over
  })

  it('names detailed metrics by the request value (README example 8)', async () => {
    fresh()
    await call(request('rl', [[['unspec', v('value1')]]]))
    await call(request('rl', [[['unspec', v('value2')]]]))
    const metrics = (await t.app.http.inject({ url: '/metrics' })).body
    expect(metrics).toContain(`descriptor="rl.unspec_${v('value1')}"`)
    expect(metrics).toContain(`descriptor="rl.unspec_${v('value2')}"`)
  })

  it('keeps counting the other descriptors of a refused request (integration test, two keys)', async () => {
    fresh()
    const out: [string, string, number][] = []
    for (let i = 0; i < 12; i++) {
      const r = await call(request('another', [[['key2', v('k')]], [['key3', v('k')]]]))
      out.push([r.overallCode, r.statuses[0].code, r.statuses[0].limitRemaining])
    }
    // key3 (10 a day) refuses from the 11th; key2 (20 a day) still counts those requests.
    expect(out[9]).toEqual(['OK', 'OK', 10])
    expect(out[10]).toEqual(['OVER_LIMIT', 'OK', 9])
    expect(out[11]).toEqual(['OVER_LIMIT', 'OK', 8])
  })

  it("applies Envoy's limit override (never in shadow mode), hits_addend and the WEEK unit", async () => {
    fresh()
    // A shadow-mode rule's descriptor with Envoy's limit override (1 a week) on it.
    const overridden = {
      domain: 'rl',
      descriptors: [
        {
          entries: [
            { key: 'foo', value: v('o') },
            { key: 'baz', value: 'shady' },
          ],
          limit: { requestsPerUnit: 1, unit: 'WEEK' },
        },
      ],
    }
    const override = await call(overridden)
    expect(override.statuses[0]).toMatchObject({
      code: 'OK',
      currentLimit: { requestsPerUnit: 1, unit: 'WEEK' },
    })
    const again = await call(overridden)
    expect(again.overallCode).toBe('OVER_LIMIT') // the rule's shadow mode does not apply to an override
    const hits = await call({ ...request('another', [[['key2', v('h')]]]), hitsAddend: 5 })
    expect(hits.statuses[0].limitRemaining).toBe(15)
    const perDescriptor = await call({
      domain: 'another',
      descriptors: [{ entries: [{ key: 'key2', value: v('h') }], hitsAddend: { value: 3 } }],
    })
    expect(perDescriptor.statuses[0].limitRemaining).toBe(12)
    const weekly = await call(request('another', [[['weekly', v('w')]]]))
    expect(weekly.statuses[0]).toMatchObject({
      currentLimit: { requestsPerUnit: 2, unit: 'WEEK' },
      limitRemaining: 1,
    })
  })
})

describe.each(backends())('conformance: wildcards, global shadow mode and reload (%s)', (backend) => {
  it('matches wildcards anywhere in the value, each value its own limit unless shared (config tests, README 9 and 11)', async () => {
    const { t, call, client } = await serve(backend, join(CONFORMANCE, 'wildcard.yaml'))
    try {
      const limitOf = async (key: string, value: string) =>
        (await call(request('test-domain', [[[key, value]]]))).statuses[0].currentLimit?.requestsPerUnit ??
        null
      expect(await limitOf('wild', 'foo1')).toBe(20)
      expect(await limitOf('wild', 'bar')).toBe(null)
      expect(await limitOf('noWild', 'foo1')).toBe(null)
      expect(await limitOf('midWild', 'barb')).toBe(2)
      expect(await limitOf('midWild', 'xbarb')).toBe(null)
      expect(await limitOf('multiWild', 'foo123bar456baz')).toBe(10)
      expect(await limitOf('multiWild', 'foo123baz')).toBe(null)
      const nested = await call(
        request('test-domain', [
          [
            ['nestedWild', 'val1'],
            ['wild', 'goo2'],
          ],
        ]),
      )
      expect(nested.statuses[0].currentLimit.requestsPerUnit).toBe(20)
      // bar*b: each matching value has its own count (2 a day each).
      const mid = async (value: string) =>
        (await call(request('test-domain', [[['midWild', value]]]))).overallCode
      expect([await mid('bar1b'), await mid('bar1b'), await mid('bar1b'), await mid('bar2b')]).toEqual([
        'OK',
        'OK',
        'OVER_LIMIT',
        'OK',
      ])
      // share_threshold: 5 + 5 of two files exhaust the shared 10 (README example 11).
      const file = async (key: string, value: string) =>
        (await call(request('test-domain', [[[key, value]]]))).overallCode
      for (let i = 0; i < 5; i++) await file('files', 'files/a.pdf')
      for (let i = 0; i < 5; i++) await file('files', 'files/b.csv')
      expect(await file('files', 'files/c.txt')).toBe('OVER_LIMIT')
      for (let i = 0; i < 10; i++) await file('files_no_share', 'files_no_share/a.pdf')
      expect(await file('files_no_share', 'files_no_share/b.csv')).toBe('OK')
    } finally {
      client.close()
      await t.close()
    }
  })

  it('answers OK overall in global shadow mode, the statuses unchanged (service test TestServiceGlobalShadowMode)', async () => {
    const { t, call, client } = await serve(backend, join(CONFORMANCE, 'example.yaml'), {
      RATE_LIMITER_SHADOW_MODE: 'true',
    })
    try {
      const d = request('rl', [
        [
          ['foo', `g-${uniqueId()}`],
          ['bar', 'banned'],
        ],
        [['nothing', 'x']],
      ])
      const r = await call(d)
      expect(r.overallCode).toBe('OK')
      expect(r.statuses.map((s: Msg) => s.code)).toEqual(['OVER_LIMIT', 'OK'])
      expect((await t.app.http.inject({ url: '/metrics' })).body).toContain(
        'rate_limiter_global_shadow_total 1',
      )
    } finally {
      client.close()
      await t.close()
    }
  })

  it('reloads a configuration directory, merging a domain across files (MERGE_DOMAIN_CONFIG)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-conformance-'))
    writeFileSync(
      join(dir, 'basic.yaml'),
      'domain: basic\ndescriptors:\n  - key: one_per_day\n    rate_limit: { unit: day, requests_per_unit: 1 }\n',
    )
    const { t, call, client } = await serve(backend, dir, { RATE_LIMITER_MERGE_DOMAIN_CONFIG: 'true' })
    try {
      const id = uniqueId()
      const code = async (key: string) => (await call(request('basic', [[[key, id]]]))).overallCode
      expect([await code('one_per_day'), await code('one_per_day')]).toEqual(['OK', 'OVER_LIMIT'])
      expect(await code('added')).toBe('OK') // not configured yet
      // A second file adds descriptors to the same domain; the reload keeps the counts.
      cpSync(join(CONFORMANCE, 'wildcard.yaml'), join(dir, 'other.yaml'))
      writeFileSync(
        join(dir, 'more.yaml'),
        'domain: basic\ndescriptors:\n  - key: added\n    rate_limit: { unit: day, requests_per_unit: 1 }\n',
      )
      await waitFor(
        'the added descriptor is served',
        async () => {
          const r = await call(request('basic', [[['added', `probe-${uniqueId()}`]]]))
          return r.statuses[0].currentLimit?.requestsPerUnit === 1
        },
        10_000,
      )
      expect(await code('one_per_day')).toBe('OVER_LIMIT') // state survived the reload
      expect(
        (await call(request('test-domain', [[['wild', 'foo1']]]))).statuses[0].currentLimit.requestsPerUnit,
      ).toBe(20)
      expect(readFileSync(join(dir, 'more.yaml'), 'utf8')).toContain('added')
    } finally {
      client.close()
      await t.close()
    }
  })
})
