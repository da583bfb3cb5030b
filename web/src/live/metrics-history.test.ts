import { describe, expect, it } from 'vitest'
import { parsePrometheus } from '../metrics/prometheus'
import { MetricsHistory } from './metrics-history'

const scrape = (count: number) =>
  parsePrometheus(
    [
      `http_request_duration_seconds_bucket{le="0.01",system="a",route="/",method="GET",status_code="200"} ${count}`,
      `http_request_duration_seconds_bucket{le="+Inf",system="a",route="/",method="GET",status_code="200"} ${count}`,
      `http_request_duration_seconds_count{system="a",route="/",method="GET",status_code="200"} ${count}`,
    ].join('\n'),
  )

describe('MetricsHistory', () => {
  it('adds a point per scrape after the first, with the rate since the previous one', () => {
    const h = new MetricsHistory()
    h.push(scrape(100), 10_000, ['a'])
    expect(h.of('a')).toEqual([])
    h.push(scrape(120), 12_000, ['a'])
    h.push(scrape(120), 14_000, ['a'])
    expect(h.of('a').map((p) => [p.t, p.rps])).toEqual([
      [12, 10],
      [14, 0],
    ])
    expect(h.latest('a')?.p99).toBeNull()
  })

  it('gives a running system that has served nothing a rate of zero, not silence', () => {
    const h = new MetricsHistory()
    h.push([], 0, ['idle'])
    h.push([], 2_000, ['idle'])
    expect(h.latest('idle')).toEqual({ t: 2, rps: 0, errorsPerSecond: 0, errorRatio: null, p99: null })
  })

  it('keeps a bounded history', () => {
    const h = new MetricsHistory()
    for (let i = 0; i < 400; i++) h.push(scrape(i), i * 1000, ['a'])
    expect(h.of('a')).toHaveLength(150)
    expect(h.latest('a')?.t).toBe(399)
  })
})
