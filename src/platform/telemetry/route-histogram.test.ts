/**
 * The RED histogram's per-route path: series found by route config object,
 * method and status; one series per label set however it is reached; what
 * /metrics renders from it.
 */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RouteHistogram } from './route-histogram.js'

const make = () => {
  const registry = new Registry()
  return { registry, h: new RouteHistogram('red_seconds', 'test', [0.001, 0.01, 0.1], registry) }
}

describe('RouteHistogram', () => {
  it('counts per route config, method and status, and renders the labels of each', async () => {
    const { registry, h } = make()
    const a = { url: '/a', system: 'one' }
    const b = { url: '/b/:id', system: 'two' }
    for (let i = 0; i < 3; i++) h.observeRoute(a, 'one', '/a', 'GET', 200, 0.0005)
    h.observeRoute(a, 'one', '/a', 'GET', 404, 0.05)
    h.observeRoute(a, 'one', '/a', 'HEAD', 200, 0.005)
    h.observeRoute(b, 'two', '/b/:id', 'POST', 201, 0.5)
    h.observeRoute(undefined, 'platform', 'unmatched', 'GET', 404, 0.0001)
    expect(h.countOf('one', '/a', 'GET', 200)).toBe(3)
    expect(h.countOf('one', '/a', 'GET', 404)).toBe(1)
    expect(h.countOf('one', '/a', 'HEAD', 200)).toBe(1)
    expect(h.countOf('two', '/b/:id', 'POST', 201)).toBe(1)
    expect(h.countOf('platform', 'unmatched', 'GET', 404)).toBe(1)
    const text = await registry.metrics()
    expect(text).toContain('red_seconds_count{system="one",route="/a",method="GET",status_code="200"} 3')
    expect(text).toContain(
      'red_seconds_bucket{le="0.001",system="one",route="/a",method="GET",status_code="200"} 3',
    )
    expect(text).toContain(
      'red_seconds_bucket{le="0.01",system="one",route="/a",method="GET",status_code="404"} 0',
    )
    expect(text).toContain(
      'red_seconds_bucket{le="+Inf",system="two",route="/b/:id",method="POST",status_code="201"} 1',
    )
    expect(text).toContain('red_seconds_sum{system="two",route="/b/:id",method="POST",status_code="201"} 0.5')
  })

  it('keeps one series per label set, whether reached by config object or by labels', async () => {
    const { registry, h } = make()
    // Two route configs with the same labels (a route registered in two encapsulated contexts).
    h.observeRoute({ url: '/x' }, 'sys', '/x', 'GET', 200, 0.001)
    h.observeRoute({ url: '/x' }, 'sys', '/x', 'GET', 200, 0.001)
    h.observe('sys', '/x', 'GET', 200, 0.001)
    expect(h.countOf('sys', '/x', 'GET', 200)).toBe(3)
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('red_seconds_count'))
    expect(lines).toEqual(['red_seconds_count{system="sys",route="/x",method="GET",status_code="200"} 3'])
  })

  it('starts over after reset, on the same route configs', () => {
    const { h } = make()
    const a = { url: '/a' }
    h.observeRoute(a, 'one', '/a', 'GET', 200, 0.001)
    h.reset()
    expect(h.countOf('one', '/a', 'GET', 200)).toBe(0)
    h.observeRoute(a, 'one', '/a', 'GET', 200, 0.001)
    expect(h.countOf('one', '/a', 'GET', 200)).toBe(1)
  })
})
