import { describe, expect, it } from 'vitest'
import type { Queue } from './api'
import { addSample, countsOf, depthSeries, emptyCounts, HISTORY_SECONDS } from './depth'

const queue = (name: string, counts: Partial<Queue['counts']>): Queue => ({
  name,
  paused: false,
  concurrency: null,
  rateLimit: null,
  ratePeriodMs: null,
  groupRateLimit: null,
  groupRatePeriodMs: null,
  createdAt: '2026-01-01T00:00:00Z',
  counts: { ...emptyCounts(), ...counts },
})

describe('queue depth history', () => {
  it('sums every queue or takes one, per state, in time order', () => {
    let h = addSample([], 100, [queue('a', { waiting: 2, dead: 1 }), queue('b', { waiting: 3 })])
    h = addSample(h, 102, [queue('a', { waiting: 1, active: 1 })])
    expect(countsOf(h[0]!, undefined).waiting).toBe(5)
    expect(countsOf(h[0]!, 'b').waiting).toBe(3)
    expect(countsOf(h[1]!, 'b').waiting).toBe(0)
    const { times, series } = depthSeries(h, undefined, ['waiting', 'active', 'dead'])
    expect(times).toEqual([100, 102])
    expect(series).toEqual([
      { label: 'waiting', values: [5, 1] },
      { label: 'active', values: [0, 1] },
      { label: 'dead', values: [1, 0] },
    ])
  })

  it(`keeps ${HISTORY_SECONDS} seconds, and drops a sample from a clock that went back`, () => {
    let h = addSample([], 1_000, [queue('a', {})])
    h = addSample(h, 1_000 + HISTORY_SECONDS, [queue('a', {})])
    expect(h.map((s) => s.t)).toEqual([1_000 + HISTORY_SECONDS])
    h = addSample(h, 1_200, [queue('a', {})])
    expect(h.map((s) => s.t)).toEqual([1_200])
  })
})
