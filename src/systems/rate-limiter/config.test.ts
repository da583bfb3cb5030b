/** The YAML configuration: Envoy's format read strictly, our additions, and clear errors. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runToExit } from '../../platform/testing/process.js'
import { parseConfig, parseConfigFiles } from './config.js'
import { readConfigFiles } from './config-files.js'
import { ConfigLoadError } from './config-model.js'
import { match } from './matcher.js'

const load = (yaml: string) => parseConfig(yaml, 'test.yaml')
const refused = (yaml: string) => {
  try {
    load(yaml)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigLoadError)
    return (err as Error).message
  }
  throw new Error('the config was accepted')
}

describe('config', () => {
  it('loads the bundled example with every algorithm', () => {
    const c = parseConfig(readFileSync(new URL('./example.yaml', import.meta.url), 'utf8'))
    expect([...c.domains.keys()]).toEqual(['demo'])
    const algorithms = new Set(c.rules.map((r) => r.algorithm))
    expect(algorithms.size).toBe(6)
    const internal = c.rules.find((r) => r.id === 'demo.api_key_internal')!
    expect(internal.unlimited).toBe(true)
    expect(c.rules.find((r) => r.id === 'demo.plan_free')!.shadowMode).toBe(true)
  })

  it("reads Envoy's format: units, multipliers, names, replaces, defaults", () => {
    const c = load(`
domain: mongo_cps
descriptors:
  - key: database
    value: users
    rate_limit: { unit: second, requests_per_unit: 500, name: users }
  - key: database
    value: default
    rate_limit: { unit: MINUTE, unit_multiplier: 5, requests_per_unit: 50, replaces: [{ name: users }] }
    descriptors:
      - key: client
        rate_limit: { unit: day, requests_per_unit: 1 }
---
domain: other
descriptors: []
`)
    expect([...c.domains.keys()]).toEqual(['mongo_cps', 'other'])
    const users = c.rules.find((r) => r.id === 'mongo_cps.database_users')!
    expect(users).toMatchObject({
      unit: 'SECOND',
      periodMs: 1000,
      algorithm: 'fixed-window',
      name: 'users',
      failureMode: 'insurance',
    })
    const def = c.rules.find((r) => r.id === 'mongo_cps.database_default')!
    expect(def).toMatchObject({ unit: 'MINUTE', unitMultiplier: 5, periodMs: 300_000, replaces: ['users'] })
    expect(c.rules.find((r) => r.id === 'mongo_cps.database_default.client')!.periodMs).toBe(86_400_000)
  })

  it('takes algorithm and burst beside rate_limit or inside it, in either spelling', () => {
    const c = load(`
domain: d
descriptors:
  - key: a
    algorithm: token-bucket
    burst: 30
    failure_mode: closed
    rate_limit: { unit: second, requests_per_unit: 10 }
  - key: b
    rate_limit: { unit: second, requests_per_unit: 10, algorithm: GCRA }
`)
    expect(c.rules[0]).toMatchObject({ algorithm: 'token-bucket', burst: 30, failureMode: 'closed' })
    expect(c.rules[1]).toMatchObject({ algorithm: 'gcra', burst: undefined })
  })

  it.each([
    ['an unknown key', 'domain: d\ndescriptors:\n  - key: a\n    rate_limt: {}', "unknown key 'rate_limt'"],
    ['an empty domain', 'domain: ""\ndescriptors: []', 'empty domain'],
    ['a descriptor without key', 'domain: d\ndescriptors:\n  - value: x', 'descriptor has empty key'],
    [
      'an unknown unit',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: fortnight, requests_per_unit: 1 }',
      "invalid rate limit unit 'fortnight'",
    ],
    [
      'a unit on an unlimited limit',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, unlimited: true }',
      'should not specify rate limit unit when unlimited',
    ],
    [
      'a duplicate descriptor',
      'domain: d\ndescriptors:\n  - key: a\n  - key: a',
      "duplicate descriptor composite key 'd.a'",
    ],
    ['a duplicate domain', 'domain: d\n---\ndomain: d', "duplicate domain 'd'"],
    [
      'a negative limit',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, requests_per_unit: -1 }',
      'requests_per_unit must be an integer',
    ],
    [
      'a fractional limit',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, requests_per_unit: 1.5 }',
      'requests_per_unit must be an integer',
    ],
    [
      'an unknown algorithm',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, requests_per_unit: 1, algorithm: magic }',
      "unknown algorithm 'magic'",
    ],
    [
      'a burst on a window algorithm',
      'domain: d\ndescriptors:\n  - key: a\n    burst: 5\n    rate_limit: { unit: second, requests_per_unit: 1 }',
      'burst applies to token_bucket',
    ],
    [
      'two different algorithms',
      'domain: d\ndescriptors:\n  - key: a\n    algorithm: gcra\n    rate_limit: { unit: second, requests_per_unit: 1, algorithm: token_bucket }',
      'algorithm is given twice',
    ],
    [
      'a log too large',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, requests_per_unit: 20000, algorithm: sliding_window_log }',
      'sliding-window-log keeps an entry',
    ],
    [
      'a bad failure mode',
      'domain: d\ndescriptors:\n  - key: a\n    failure_mode: maybe\n    rate_limit: { unit: second, requests_per_unit: 1 }',
      'failure_mode must be one of',
    ],
    [
      'replacing itself',
      'domain: d\ndescriptors:\n  - key: a\n    rate_limit: { unit: second, requests_per_unit: 1, name: x, replaces: [{ name: x }] }',
      'replaces should not contain name of same descriptor',
    ],
    ['broken YAML', 'domain: d\ndescriptors: [', 'test.yaml'],
    ['a list at the top', '- domain: d', 'expected a mapping'],
    ['a duplicate YAML key', 'domain: d\ndomain: e', 'test.yaml'],
  ])('refuses %s, naming the place', (_what, yaml, message) => {
    expect(refused(yaml)).toContain(message)
  })

  it("takes Envoy's other descriptor keys: quota_mode, metadata, share_threshold, value_to_metric, WEEK", () => {
    const c = load(`
domain: d
descriptors:
  - key: q
    quota_mode: true
    metadata: { name: service_1, nested: { list: [1, two] } }
    rate_limit: { unit: week, requests_per_unit: 5 }
  - key: files
    value: files/*
    share_threshold: true
    value_to_metric: true
    rate_limit: { unit: hour, requests_per_unit: 10 }
`)
    expect(c.rules[0]).toMatchObject({
      quotaMode: true,
      unit: 'WEEK',
      periodMs: 7 * 86_400_000,
      metadata: { name: 'service_1', nested: { list: [1, 'two'] } },
    })
    expect(refused('domain: d\ndescriptors:\n  - key: a\n    share_threshold: true')).toContain(
      'share_threshold can only be used with wildcard values',
    )
    expect(refused('domain: d\ndescriptors:\n  - key: a\n    metadata: [1]')).toContain(
      'metadata must be a mapping',
    )
  })

  it('refuses text no request can name: U+0000 or a lone surrogate in a domain, key or value', () => {
    const doc = (domain: string, value: string) =>
      `domain: "${domain}"\ndescriptors:\n  - key: k\n    value: "${value}"\n    rate_limit: { unit: second, requests_per_unit: 1 }\n`
    expect(() => parseConfig(doc('x\\0', 'v'), 'c.yaml')).toThrow(/c\.yaml: domain contains U\+0000/)
    expect(() => parseConfig(doc('x', 'v\\ud800'), 'c.yaml')).toThrow(/descriptors\[0\]\.value contains/)
    expect(() => parseConfig(doc('x', 'v'), 'c.yaml')).not.toThrow()
  })

  it('loads a directory of files in name order; a domain across files is refused unless merged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-dir-'))
    writeFileSync(
      join(dir, 'a.yaml'),
      'domain: test-domain\ndescriptors:\n  - key: key1\n    value: value1\n    rate_limit: { unit: minute, requests_per_unit: 10 }\n',
    )
    writeFileSync(
      join(dir, 'b.yml'),
      'domain: test-domain\ndescriptors:\n  - key: key2\n    value: value2\n    rate_limit: { unit: minute, requests_per_unit: 20 }\n',
    )
    writeFileSync(join(dir, '.hidden.yaml'), 'not: [valid')
    writeFileSync(join(dir, 'notes.txt'), 'ignored')
    const { files } = await readConfigFiles(dir)
    expect(files.map((f) => f.name)).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yml')])
    expect(() => parseConfigFiles(files)).toThrow(`${join(dir, 'b.yml')}: duplicate domain 'test-domain'`)
    const merged = parseConfigFiles(files, { mergeDomains: true })
    const limit = (key: string, value: string) => {
      const m = match(merged, 'test-domain', [{ key, value }])
      return m.kind === 'rule' ? m.rule.requestsPerUnit : m.kind
    }
    expect([limit('key1', 'value1'), limit('key2', 'value2')]).toEqual([10, 20])
    // Merging adds descriptors; the same descriptor twice is still an error.
    writeFileSync(
      join(dir, 'c.yaml'),
      'domain: test-domain\ndescriptors:\n  - key: key1\n    value: value1\n',
    )
    const again = await readConfigFiles(dir)
    expect(() => parseConfigFiles(again.files, { mergeDomains: true })).toThrow(
      "duplicate descriptor composite key 'test-domain.key1_value1'",
    )
  })

  it('names the document of a multi-domain file', () => {
    expect(refused('domain: a\n---\ndomain: b\ndescriptors:\n  - key: ""')).toMatch(
      /^test\.yaml \(document 2\): /,
    )
  })

  it('never fails with anything but a ConfigLoadError, whatever the text', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          domain: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          descriptors: fc.array(
            fc.record({
              key: fc.oneof(fc.string(), fc.integer()),
              value: fc.option(fc.string()),
              rate_limit: fc.option(
                fc.record({
                  unit: fc.oneof(fc.constantFrom('second', 'minute', 'hour', 'week'), fc.string()),
                  requests_per_unit: fc.oneof(fc.integer(), fc.double(), fc.string()),
                  algorithm: fc.option(fc.constantFrom('gcra', 'token_bucket', 'nope')),
                  burst: fc.option(fc.integer()),
                }),
              ),
            }),
          ),
        })
        .map((v) => JSON.stringify(v)),
    )
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          load(text)
        } catch (err) {
          if (!(err instanceof ConfigLoadError)) throw err
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('a broken config file at boot', () => {
  it('stops the process before opening any database, with one line naming the place, exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-boot-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'domain: x\ndescriptors:\n  - key: a\n    rate_limit: { unit: fortnight }\n')
    const { code, stderr } = await runToExit(
      'src/main.ts',
      {
        PORT: '0',
        SYSTEMS: 'rate-limiter',
        DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'silent',
        RATE_LIMITER_CONFIG: file,
      },
      [],
      120_000,
    )
    expect(code).toBe(2)
    expect(existsSync(join(dir, 'data'))).toBe(false) // no embedded database was opened
    expect(stderr.trim().split('\n')).toEqual([
      `blueprints: invalid configuration: ${file}: x.a: invalid rate limit unit 'fortnight' (one of second, minute, hour, day, week, month, year)`,
    ])
  }, 150_000)
})
