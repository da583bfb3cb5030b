import { describe, expect, it } from 'vitest'
import type { RuleStats } from './api'
import { addSnapshot, emptyHistory } from './rates'

const rule = (id: string, allowed: number, limited: number, shadowLimited = 0): RuleStats => ({
  id,
  domain: 'demo',
  allowed,
  limited,
  shadowLimited,
  unlimited: 0,
  storeErrors: 0,
  fallback: 0,
})

describe('decision rates', () => {
  it('turns counter deltas into per-second rates, shadow refusals counted as limited', () => {
    let h = addSnapshot(emptyHistory(), 100, [rule('a', 10, 0)])
    expect(h.points.size).toBe(0)
    h = addSnapshot(h, 102, [rule('a', 30, 4, 2)])
    expect(h.points.get('a')).toEqual([{ t: 102, allowed: 10, limited: 3 }])
  })

  it('counts a rule seen for the first time from zero, and restarts a rule whose counters went down', () => {
    let h = addSnapshot(emptyHistory(), 0, [])
    h = addSnapshot(h, 1, [rule('new', 5, 1)])
    expect(h.points.get('new')).toEqual([{ t: 1, allowed: 5, limited: 1 }])
    h = addSnapshot(h, 2, [rule('new', 1, 0)])
    expect(h.points.get('new')).toEqual([])
  })
})
