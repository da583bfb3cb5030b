import { describe, expect, it } from 'vitest'
import { binFor, bucketVisits } from './visits'

const at = (iso: string) => ({ date: iso })

describe('bucketVisits', () => {
  it('counts recent visits per minute over at least the last hour, empty minutes included', () => {
    const now = Date.parse('2026-01-01T12:00:30Z')
    const { times, counts, bin } = bucketVisits(
      [at('2026-01-01T11:59:10Z'), at('2026-01-01T11:59:50Z'), at('2026-01-01T12:00:01+00:00')],
      now,
    )
    expect(bin).toBe(60)
    expect(times).toHaveLength(61)
    expect(times.at(-1)).toBe(Date.parse('2026-01-01T12:00:00Z') / 1000)
    expect(counts.at(-1)).toBe(1)
    expect(counts.at(-2)).toBe(2)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3)
  })

  it('widens the bin with the span the visits cover, and ignores unparsable dates', () => {
    expect(binFor(3600)).toBe(60)
    expect(binFor(2 * 86_400)).toBe(3600)
    expect(binFor(30 * 86_400)).toBe(86_400)
    const now = Date.parse('2026-01-31T00:00:00Z')
    const r = bucketVisits([at('2026-01-01T05:00:00Z'), at('garbage')], now)
    expect(r.bin).toBe(86_400)
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(1)
  })
})
