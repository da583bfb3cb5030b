/** The harness's arithmetic: medians, percentiles, slices of a round, per-round ratios and goals. */
import { describe, expect, it } from 'vitest'
import { combineSlices, goalMet, median, medianRatio, percentile, percentiles, roundRatios } from './stats.js'
import { sample } from './test-samples.js'

describe('median and percentile', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
  })
  it('ignores NaN and is NaN for nothing', () => {
    expect(median([Number.NaN, 5, 1, Number.NaN])).toBe(3)
    expect(median([])).toBeNaN()
    expect(median([Number.NaN])).toBeNaN()
  })
  it('does not reorder its input', () => {
    const xs = [3, 1, 2]
    median(xs)
    expect(xs).toEqual([3, 1, 2])
  })
  it('uses nearest rank for percentiles, like HdrHistogram', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i) // 100..1, unsorted
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile(xs, 100)).toBe(100)
    expect(percentile(xs, 0)).toBe(1)
    expect(percentile([5, 1, 9], 50)).toBe(5)
    expect(percentile([], 50)).toBeNaN()
    expect(() => percentile([1], 101)).toThrow(RangeError)
    expect(percentiles(new Float64Array([0.3, 0.1, 0.2, 10]), [50, 99])).toEqual([0.2, 10])
  })
})

describe('combining the slices of a round', () => {
  it('takes rates over the summed time and percentiles over every latency', () => {
    const r = combineSlices([
      {
        total: 100,
        ok: 100,
        errors: 0,
        durationSec: 2,
        latenciesMs: Array(99).fill(1).concat([50]),
        statusCounts: { '200': 100 },
        serverCpuSec: 2,
        loadCpuSec: 1,
        wallSec: 2,
      },
      {
        total: 310,
        ok: 300,
        errors: 12,
        durationSec: 2,
        latenciesMs: Array(310).fill(3),
        statusCounts: { '200': 300, '500': 10 },
        serverCpuSec: 1,
        loadCpuSec: 1,
        wallSec: 2,
      },
    ])
    // Successes per second over the whole round, not a mean of the slices' rates.
    expect(r.opsPerSec).toBe(100)
    expect(r.total).toBe(410)
    expect(r.errors).toBe(12)
    expect(r.p50Ms).toBe(3)
    expect(r.p99Ms).toBe(3)
    expect(r.statusCounts).toEqual({ '200': 400, '500': 10 })
    expect(r.serverCpu).toBe(0.75)
    expect(r.loadCpu).toBe(0.5)
  })
  it('has no server CPU when a slice could not read it', () => {
    const slice = {
      total: 1,
      ok: 1,
      errors: 0,
      durationSec: 1,
      latenciesMs: [1],
      loadCpuSec: 0.1,
      wallSec: 1,
    }
    expect(combineSlices([{ ...slice, serverCpuSec: 1 }, slice]).serverCpu).toBeUndefined()
    expect(combineSlices([]).opsPerSec).toBe(0)
  })
})

describe('ratios', () => {
  it('is the median of per-round ratios, not the ratio of medians', () => {
    const system = [100, 200, 300].map((x) => sample(x))
    const other = [50, 400, 300].map((x) => sample(x))
    expect(roundRatios(system, other)).toEqual([2, 0.5, 1])
    expect(medianRatio(system, other)).toBe(1)
    // The ratio of medians would be 200 / 300.
    expect(medianRatio(system, other)).not.toBeCloseTo(200 / 300)
  })
  it('skips rounds where a side did nothing instead of producing 0 or Infinity', () => {
    const system = [100, 0, 90].map((x) => sample(x))
    const other = [100, 100, 0].map((x) => sample(x))
    expect(roundRatios(system, other)).toEqual([1])
    expect(medianRatio([sample(0)], [sample(0)])).toBeNaN()
  })
  it('meets a goal at exactly the goal, and has no verdict without a goal or a ratio', () => {
    expect(goalMet(0.85, 0.85)).toBe(true)
    expect(goalMet(0.8499, 0.85)).toBe(false)
    expect(goalMet(0.9, undefined)).toBeUndefined()
    expect(goalMet(Number.NaN, 0.85)).toBeUndefined()
  })
})
