/** The load-balancing algorithms: weights honoured, unhealthy targets skipped, hashing stable. */
import { describe, expect, it } from 'vitest'
import type { Upstream } from '../config/types.js'
import { Balancer, type HashFacts } from './balancer.js'
import { record } from './health.js'
import { TargetState } from './target.js'

const facts = (over: Partial<HashFacts> = {}): HashFacts => ({
  consumerId: undefined,
  ip: '10.0.0.1',
  header: () => undefined,
  cookie: () => undefined,
  path: '/',
  query: () => undefined,
  ...over,
})

function upstreamOf(algorithm: Upstream['algorithm'], over: Partial<Upstream> = {}): Upstream {
  return {
    id: 'u',
    name: 'u',
    algorithm,
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_header: null,
    hash_fallback_header: null,
    hash_on_cookie: null,
    hash_on_cookie_path: '/',
    hash_on_query_arg: null,
    hash_fallback_query_arg: null,
    slots: 1000,
    healthchecks: undefined as never,
    host_header: null,
    tags: null,
    created_at: 0,
    ...over,
  }
}

const targets = (...weights: number[]) =>
  weights.map((w, i) => new TargetState(`t${i}`, `10.0.0.${i}`, 80, w))

function counts(b: Balancer, n: number, f: () => HashFacts = () => facts()) {
  const c = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const k = b.pick(f(), new Set())!.target.key
    c.set(k, (c.get(k) ?? 0) + 1)
  }
  return c
}

describe('balancer', () => {
  it('round robin follows the weights exactly and interleaves', () => {
    const b = new Balancer(upstreamOf('round-robin'), targets(300, 100))
    const seq = Array.from({ length: 8 }, () => b.pick(facts(), new Set())!.target.key)
    expect(seq.filter((k) => k === 't0')).toHaveLength(6)
    // Smooth: never three of the heavy one in a row around the light one's turn.
    expect(seq.join(',')).not.toContain('t0,t0,t0,t0')
  })

  it('skips unhealthy, weight-0 and already tried targets', () => {
    const ts = targets(100, 100, 0)
    const b = new Balancer(upstreamOf('round-robin'), ts)
    ts[0]!.healthy = false
    expect(counts(b, 10)).toEqual(new Map([['t1', 10]]))
    expect(b.pick(facts(), new Set([ts[1]!]))).toBeUndefined()
  })

  it('least connections picks the target with the fewest requests in flight per weight', () => {
    const ts = targets(100, 100)
    ts[0]!.active = 5
    const b = new Balancer(upstreamOf('least-connections'), ts)
    expect(b.pick(facts(), new Set())!.target.key).toBe('t1')
  })

  it('consistent hashing sends a key to one target, and only moves the keys of a target that leaves', () => {
    const ts = targets(100, 100, 100, 100)
    const b = new Balancer(
      upstreamOf('consistent-hashing', { hash_on: 'header', hash_on_header: 'x-user' }),
      ts,
    )
    const pickFor = (user: string) => b.pick(facts({ header: () => user }), new Set())!.target
    const before = new Map(Array.from({ length: 400 }, (_, i) => [`user${i}`, pickFor(`user${i}`)]))
    for (const [u, t] of before) expect(pickFor(u)).toBe(t)
    expect(new Set(before.values()).size).toBe(4)
    ts[2]!.healthy = false
    for (const [u, t] of before) if (t !== ts[2]) expect(pickFor(u)).toBe(t)
  })

  it('consistent hashing on a cookie creates the cookie when the client has none (sticky)', () => {
    const b = new Balancer(
      upstreamOf('consistent-hashing', { hash_on: 'cookie', hash_on_cookie: 'sticky' }),
      targets(100, 100),
    )
    const p = b.pick(facts(), new Set())!
    expect(p.setCookie).toMatch(/^sticky=[0-9a-f-]{36}; Path=\/$/)
    const value = p.setCookie!.split(';')[0]!.split('=')[1]!
    const again = b.pick(facts({ cookie: () => value }), new Set())!
    expect(again.target).toBe(p.target)
    expect(again.setCookie).toBeUndefined()
  })

  it('passive health: a target leaves after the configured TCP failures and returns after successes', () => {
    const [t] = targets(100)
    const th = {
      healthy: { http_statuses: [200], successes: 2 },
      unhealthy: { http_statuses: [500], tcp_failures: 2, timeouts: 0, http_failures: 3 },
    }
    record(t!, { kind: 'tcp' }, th, {})
    expect(t!.healthy).toBe(true)
    record(t!, { kind: 'tcp' }, th, {})
    expect(t!.healthy).toBe(false)
    record(t!, { kind: 'http', status: 200 }, th, {})
    expect(t!.healthy).toBe(false)
    record(t!, { kind: 'http', status: 200 }, th, {})
    expect(t!.healthy).toBe(true)
  })
})
