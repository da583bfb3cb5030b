import { describe, expect, it } from 'vitest'
import { formatPercent, formatRate, formatSeconds, formatSecondsTicks } from './format'

describe('formats', () => {
  it('says durations in the unit that reads best', () => {
    expect(formatSeconds(0.00042)).toBe('420 µs')
    expect(formatSeconds(0.0042)).toBe('4.20 ms')
    expect(formatSeconds(0.042)).toBe('42.0 ms')
    expect(formatSeconds(0.75)).toBe('750 ms')
    expect(formatSeconds(2.5)).toBe('2.50 s')
    expect(formatSeconds(null)).toBe('—')
    expect(formatSeconds(0)).toBe('0 s')
  })

  it('labels a duration axis in one unit, never "0 µs" under "1.00 s"', () => {
    // The ticks uPlot chose for a p99 that reached one second.
    expect(formatSecondsTicks([0, 0.2, 0.4, 0.6, 0.8, 1])).toEqual([
      '0.0 s',
      '0.2 s',
      '0.4 s',
      '0.6 s',
      '0.8 s',
      '1.0 s',
    ])
    expect(formatSecondsTicks([0, 0.5, 1, 1.5])).toEqual(['0.0 s', '0.5 s', '1.0 s', '1.5 s'])
    expect(formatSecondsTicks([0, 1, 2])).toEqual(['0 s', '1 s', '2 s'])
    expect(formatSecondsTicks([0, 0.005, 0.01, 0.015])).toEqual(['0 ms', '5 ms', '10 ms', '15 ms'])
    expect(formatSecondsTicks([0, 0.0025, 0.005])).toEqual(['0.0 ms', '2.5 ms', '5.0 ms'])
    expect(formatSecondsTicks([0, 0.0002, 0.0004])).toEqual(['0 µs', '200 µs', '400 µs'])
    expect(formatSecondsTicks([0.3, 0.30000000000000004 + 0.1])).toEqual(['300 ms', '400 ms'])
  })

  it('says rates and shares without false precision, and a dash for no value', () => {
    expect(formatRate(0)).toBe('0')
    expect(formatRate(0.35)).toBe('0.35')
    expect(formatRate(12.44)).toBe('12.4')
    expect(formatRate(1234.4)).toBe('1,234')
    expect(formatRate(Number.NaN)).toBe('—')
    expect(formatPercent(0)).toBe('0 %')
    expect(formatPercent(0.004)).toBe('0.40 %')
    expect(formatPercent(0.123)).toBe('12 %')
    expect(formatPercent(null)).toBe('—')
  })
})
