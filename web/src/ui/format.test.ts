import { describe, expect, it } from 'vitest'
import { formatPercent, formatRate, formatSeconds } from './format'

describe('formats', () => {
  it('says durations in the unit that reads best', () => {
    expect(formatSeconds(0.00042)).toBe('420 µs')
    expect(formatSeconds(0.0042)).toBe('4.20 ms')
    expect(formatSeconds(0.042)).toBe('42.0 ms')
    expect(formatSeconds(0.75)).toBe('750 ms')
    expect(formatSeconds(2.5)).toBe('2.50 s')
    expect(formatSeconds(null)).toBe('—')
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
