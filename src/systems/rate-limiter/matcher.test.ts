/** Matching descriptors to rules with envoyproxy/ratelimit's semantics. */
import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'
import { match, wildcardMatches } from './matcher.js'

const config = parseConfig(`
domain: edge
descriptors:
  - key: remote_address
    rate_limit: { unit: second, requests_per_unit: 10 }
  - key: remote_address
    value: 10.0.0.1
    rate_limit: { unit: second, requests_per_unit: 1000 }
  - key: path
    value: /api/*
    rate_limit: { unit: second, requests_per_unit: 50 }
  - key: path
    value: /api/admin
    rate_limit: { unit: second, requests_per_unit: 5 }
  - key: tenant
    descriptors:
      - key: path
        rate_limit: { unit: minute, requests_per_unit: 100 }
`)

const ruleOf = (...pairs: [string, string][]) => {
  const m = match(
    config,
    'edge',
    pairs.map(([key, value]) => ({ key, value })),
  )
  return m.kind === 'rule' ? m.rule.id : m.kind
}

describe('matcher', () => {
  it('prefers the exact value, then a value prefix, then the key alone', () => {
    expect(ruleOf(['remote_address', '10.0.0.1'])).toBe('edge.remote_address_10.0.0.1')
    expect(ruleOf(['remote_address', '10.0.0.2'])).toBe('edge.remote_address')
    expect(ruleOf(['path', '/api/admin'])).toBe('edge.path_/api/admin')
    expect(ruleOf(['path', '/api/users'])).toBe('edge.path_/api/*')
    expect(ruleOf(['path', '/web'])).toBe('no_rule')
  })

  it('applies a rule only at the depth of the last entry', () => {
    expect(ruleOf(['tenant', 'acme'], ['path', '/x'])).toBe('edge.tenant.path')
    // Less specific than the config: the tenant node has no limit of its own.
    expect(ruleOf(['tenant', 'acme'])).toBe('no_rule')
    // More specific than the config: remote_address has no children.
    expect(ruleOf(['remote_address', '1.2.3.4'], ['path', '/x'])).toBe('no_rule')
    expect(ruleOf(['path', '/x'], ['tenant', 'acme'])).toBe('no_rule')
  })

  it('matches a wildcard anywhere in the value, any number of times, as envoyproxy/ratelimit does', () => {
    const c = parseConfig(`
domain: w
descriptors:
  - key: wild
    value: foo*
    rate_limit: { unit: minute, requests_per_unit: 20 }
  - key: noWild
    value: foo
    rate_limit: { unit: minute, requests_per_unit: 20 }
  - key: midWild
    value: bar*b
    rate_limit: { unit: minute, requests_per_unit: 20 }
  - key: multiWild
    value: foo*bar*baz
    rate_limit: { unit: minute, requests_per_unit: 10 }
  - key: path
    value: /api/*/resource/*/action
    rate_limit: { unit: minute, requests_per_unit: 20 }
  - key: nestedWild
    value: val1
    descriptors:
      - key: wild
        value: goo*
        rate_limit: { unit: minute, requests_per_unit: 20 }
`)
    const id = (...pairs: [string, string][]) => {
      const m = match(
        c,
        'w',
        pairs.map(([key, value]) => ({ key, value })),
      )
      return m.kind === 'rule' ? m.rule.id : m.kind
    }
    expect(id(['wild', 'foo1'])).toBe('w.wild_foo*')
    expect(id(['wild', 'bar'])).toBe('no_rule')
    expect(id(['noWild', 'foo1'])).toBe('no_rule')
    expect(id(['nestedWild', 'val1'], ['wild', 'goo2'])).toBe('w.nestedWild_val1.wild_goo*')
    // A star in the middle: prefix and suffix, the star matching the empty string too.
    expect(id(['midWild', 'barab'])).toBe('w.midWild_bar*b')
    expect(id(['midWild', 'bar123b'])).toBe('w.midWild_bar*b')
    expect(id(['midWild', 'barb'])).toBe('w.midWild_bar*b')
    expect(id(['midWild', 'bara'])).toBe('no_rule')
    expect(id(['midWild', 'xbarb'])).toBe('no_rule')
    // Several stars: each segment in order.
    expect(id(['multiWild', 'foo123bar456baz'])).toBe('w.multiWild_foo*bar*baz')
    expect(id(['multiWild', 'foobarbaz'])).toBe('w.multiWild_foo*bar*baz')
    expect(id(['multiWild', 'foo123baz'])).toBe('no_rule')
    expect(id(['multiWild', 'bar456baz'])).toBe('no_rule')
    expect(id(['path', '/api/v1/resource/123/action'])).toBe('w.path_/api/*/resource/*/action')
    expect(id(['path', '/api/v1/resource/123/other'])).toBe('no_rule')
  })

  it('never lets the prefix and the suffix of a pattern overlap', () => {
    expect(wildcardMatches(['ab', 'ba'], 'aba')).toBe(false)
    expect(wildcardMatches(['ab', 'ba'], 'abba')).toBe(true)
    expect(wildcardMatches(['a', 'b', 'c'], 'abc')).toBe(true)
    expect(wildcardMatches(['a', 'b', 'c'], 'ac')).toBe(false)
    expect(wildcardMatches(['a', 'bc', 'c'], 'abc')).toBe(false)
    expect(wildcardMatches(['', ''], '')).toBe(true)
  })

  it('does not limit an unknown domain', () => {
    expect(match(config, 'elsewhere', [{ key: 'remote_address', value: '1.1.1.1' }]).kind).toBe(
      'unknown_domain',
    )
  })
})
