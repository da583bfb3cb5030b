import { describe, expect, it } from 'vitest'
import { parsePrometheus } from './prometheus'
import { countersBySystem, histogramQuantile, ratesBetween } from './red'

/** The exposition of one route's histogram, as the platform renders it. */
function series(system: string, status: number, buckets: [string, number][], sum = 0): string {
  const labels = `system="${system}",route="/r",method="GET",status_code="${status}"`
  const count = buckets.at(-1)?.[1] ?? 0
  return [
    ...buckets.map(([le, n]) => `http_request_duration_seconds_bucket{le="${le}",${labels}} ${n}`),
    `http_request_duration_seconds_sum{${labels}} ${sum}`,
    `http_request_duration_seconds_count{${labels}} ${count}`,
  ].join('\n')
}

describe('countersBySystem', () => {
  it('sums every route and status of a system, counting 5xx as errors', () => {
    const text = [
      series('a', 200, [
        ['0.01', 8],
        ['0.1', 10],
        ['+Inf', 10],
      ]),
      series('a', 503, [
        ['0.01', 0],
        ['0.1', 2],
        ['+Inf', 2],
      ]),
      series('b', 404, [
        ['0.01', 1],
        ['0.1', 1],
        ['+Inf', 1],
      ]),
      'other_metric{system="a"} 99',
    ].join('\n')
    const c = countersBySystem(parsePrometheus(text))
    expect(c.get('a')?.count).toBe(12)
    expect(c.get('a')?.errors).toBe(2)
    expect([...(c.get('a')?.buckets ?? [])]).toEqual([
      [0.01, 8],
      [0.1, 12],
      [Number.POSITIVE_INFINITY, 12],
    ])
    expect(c.get('b')).toMatchObject({ count: 1, errors: 0 })
  })
})

describe('histogramQuantile', () => {
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    // 100 observations: 50 below 0.1, 40 in (0.1, 0.2], 10 in (0.2, 0.4].
    const b: [number, number][] = [
      [0.1, 50],
      [0.2, 90],
      [0.4, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.1)
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.15)
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.38)
  })

  it('reports the highest finite bound when the rank falls in +Inf, and null with no observations', () => {
    expect(
      histogramQuantile(0.99, [
        [1, 1],
        [Number.POSITIVE_INFINITY, 10],
      ]),
    ).toBe(1)
    expect(histogramQuantile(0.99, [[Number.POSITIVE_INFINITY, 0]])).toBeNull()
  })
})

describe('ratesBetween', () => {
  const snap = (count: number, errors: number, fast: number) => ({
    count,
    errors,
    buckets: new Map([
      [0.01, fast],
      [1, count],
      [Number.POSITIVE_INFINITY, count],
    ]),
  })

  it('gives the rate, error share and p99 of the requests made between two scrapes', () => {
    const r = ratesBetween(snap(100, 0, 100), snap(300, 20, 298), 4)
    expect(r.rps).toBe(50)
    expect(r.errorsPerSecond).toBe(5)
    expect(r.errorRatio).toBeCloseTo(0.1)
    // 198 of 200 new requests under 10 ms, 2 between 10 ms and 1 s: p99 is at the 10 ms bound.
    expect(r.p99).toBeCloseTo(0.01)
  })

  it('gives no ratio or latency when nothing was requested', () => {
    expect(ratesBetween(snap(5, 0, 5), snap(5, 0, 5), 2)).toEqual({
      rps: 0,
      errorsPerSecond: 0,
      errorRatio: null,
      p99: null,
    })
  })

  it('treats counters that went down as a restart: the new values are the whole delta', () => {
    const r = ratesBetween(snap(1000, 10, 1000), snap(20, 0, 20), 2)
    expect(r.rps).toBe(10)
  })
})
