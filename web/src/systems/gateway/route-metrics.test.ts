import { describe, expect, it } from 'vitest'
import { parsePrometheus } from '../../metrics/prometheus'
import { countersByRoute, routeRates, targetHealth } from './route-metrics'

/** A scrape with `ok` 200s and `bad` 502s on route r1 (all in the 10 ms bucket) and `missed` 404s without a route. */
function scrape(ok: number, bad: number, missed: number): string {
  const series = (status: string, n: number, route = 'r1') =>
    [
      `gateway_proxy_duration_seconds_bucket{le="0.005",route="${route}",service="s1",status="${status}"} 0`,
      `gateway_proxy_duration_seconds_bucket{le="0.01",route="${route}",service="s1",status="${status}"} ${n}`,
      `gateway_proxy_duration_seconds_bucket{le="+Inf",route="${route}",service="s1",status="${status}"} ${n}`,
      `gateway_proxy_duration_seconds_sum{route="${route}",service="s1",status="${status}"} ${n * 0.008}`,
      `gateway_proxy_duration_seconds_count{route="${route}",service="s1",status="${status}"} ${n}`,
    ].join('\n')
  return [
    series('200', ok),
    series('502', bad),
    series('404', missed, ''),
    'gateway_target_healthy{target="10.0.0.1:80"} 1',
    'gateway_target_healthy{target="10.0.0.2:80"} 0',
    'http_request_duration_seconds_count{system="gateway",route="/x",method="GET",status_code="200"} 99',
  ].join('\n')
}

describe('gateway route metrics', () => {
  it('sums the histogram per route and turns two scrapes into rates and a p99', () => {
    const a = countersByRoute(parsePrometheus(scrape(10, 0, 1)))
    const b = countersByRoute(parsePrometheus(scrape(30, 4, 5)))
    expect(b.get('r1')).toMatchObject({ service: 's1', count: 34, errors: 4, clientErrors: 0 })
    const rates = routeRates(a, b, 2)
    const r1 = rates.find((r) => r.route === 'r1')!
    expect(r1.rps).toBe(12)
    expect(r1.errorsPerSecond).toBe(2)
    expect(r1.p99).toBeGreaterThan(0.005)
    expect(r1.p99).toBeLessThanOrEqual(0.01)
    expect(rates.find((r) => r.route === '')).toMatchObject({
      rps: 2,
      clientErrorsPerSecond: 2,
      errorsPerSecond: 0,
    })
  })

  it('counts a route new since the last scrape, or a counter that went down, from zero', () => {
    const before = countersByRoute(parsePrometheus(scrape(50, 0, 0)))
    const after = countersByRoute(parsePrometheus(scrape(6, 0, 0)))
    expect(routeRates(before, after, 3).find((r) => r.route === 'r1')!.rps).toBe(2)
    expect(routeRates(undefined, after, 3).find((r) => r.route === 'r1')!.rps).toBe(2)
    expect(routeRates(after, after, 2).find((r) => r.route === 'r1')).toMatchObject({ rps: 0, p99: null })
  })

  it("keeps one workspace's series when asked (unlabelled series are the default's)", () => {
    const samples = parsePrometheus(
      [
        'gateway_proxy_duration_seconds_count{workspace="team-a",route="ra",service="s",status="200"} 4',
        'gateway_proxy_duration_seconds_count{workspace="default",route="rd",service="s",status="200"} 2',
        'gateway_proxy_duration_seconds_count{route="rx",service="s",status="200"} 1',
      ].join('\n'),
    )
    expect([...countersByRoute(samples, 'team-a').keys()]).toEqual(['ra'])
    expect([...countersByRoute(samples, 'default').keys()]).toEqual(['rd', 'rx'])
    expect([...countersByRoute(samples).keys()]).toEqual(['ra', 'rd', 'rx'])
  })

  it('reads each target in or out of rotation', () => {
    expect([...targetHealth(parsePrometheus(scrape(1, 0, 0)))]).toEqual([
      ['10.0.0.1:80', true],
      ['10.0.0.2:80', false],
    ])
  })
})
