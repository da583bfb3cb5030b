/** Matching descriptors to rules with envoyproxy/ratelimit's semantics. */
import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'
import { match } from './matcher.js'

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

  it('does not limit an unknown domain', () => {
    expect(match(config, 'elsewhere', [{ key: 'remote_address', value: '1.1.1.1' }]).kind).toBe(
      'unknown_domain',
    )
  })
})
