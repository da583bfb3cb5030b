/** The markdown table of a scenario and the cells in it. */
import { describe, expect, it } from 'vitest'
import type { ScenarioResult } from '../types.js'
import { formatMs, formatScenarioTable, goalCell } from './table.js'

describe('table', () => {
  const result: ScenarioResult = {
    scenario: 'trivial-route',
    description: 'd',
    subjects: [
      {
        name: 'blueprints',
        role: 'system',
        opsPerSec: 17_012.4,
        p50Ms: 2,
        p99Ms: 5.5,
        errors: 0,
        peakRssMb: 120.4,
        rounds: [],
      },
      {
        name: 'bare fastify',
        role: 'baseline',
        opsPerSec: 20_000,
        p50Ms: 1,
        p99Ms: 4,
        errors: 0,
        peakRssMb: 60,
        rounds: [],
      },
      {
        name: 'peer|x',
        role: 'peer',
        opsPerSec: 30_000,
        p50Ms: 1,
        p99Ms: 3,
        errors: 2,
        peakRssMb: undefined,
        rounds: [],
      },
    ],
    ratios: { 'bare fastify': 0.8506, 'peer|x': 0.5 },
    goals: { 'bare fastify': 0.85, 'peer|x': 0.6 },
  }
  it('prints one aligned row per subject with ratio and verdict', () => {
    const lines = formatScenarioTable(result).split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0]).toBe(
      '| subject | role | req/s | p50 | p99 | errors | peak RSS | ratio vs system (req/s) | goal met? |',
    )
    expect(lines[2]).toBe('| blueprints | system | 17,012 | 2.00 ms | 5.50 ms | 0 | 120 MB | — | — |')
    expect(lines[3]).toBe(
      '| bare fastify | baseline | 20,000 | 1.00 ms | 4.00 ms | 0 | 60 MB | 0.85 | yes (≥ 0.85) |',
    )
    expect(lines[4]).toBe('| peer\\|x | peer | 30,000 | 1.00 ms | 3.00 ms | 2 | — | 0.50 | **no** (< 0.6) |')
  })
  it('never calls a goal met when the system had errors', () => {
    expect(goalCell(0.9, 0.85, 3)).toMatch(/^no: the system had errors/)
    expect(goalCell(undefined, undefined, 0)).toBe('—')
    expect(goalCell(Number.NaN, 0.85, 0)).toBe('no ratio (goal ≥ 0.85)')
  })
  it('formats latencies by magnitude', () => {
    expect(formatMs(0.8449)).toBe('0.84 ms')
    expect(formatMs(12.34)).toBe('12.3 ms')
    expect(formatMs(140.4)).toBe('140 ms')
    expect(formatMs(Number.NaN)).toBe('—')
  })
})
