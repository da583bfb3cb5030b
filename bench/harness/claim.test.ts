/** Which ratio a scenario claims: per server CPU-second once a load generator nears its core, else req/s. */
import { describe, expect, it } from 'vitest'
import type { BenchScenario, ScenarioResult } from '../types.js'
import { claimOf } from './claim.js'
import { summarize } from './runner.js'
import { formatClaimLine, formatScenarioTable } from './table.js'
import { sample } from './test-samples.js'

const subject = (name: string, role: 'system' | 'baseline' | 'peer', loadCpu: number) => ({
  name,
  role,
  opsPerSec: 20_000,
  p50Ms: 1,
  p99Ms: 4,
  errors: 0,
  peakRssMb: 60,
  rounds: [],
  serverCpu: 0.99,
  loadCpu,
})

const busy: ScenarioResult = {
  scenario: 'hot',
  description: 'd',
  subjects: [
    subject('blueprints', 'system', 0.7),
    subject('bare fastify', 'baseline', 0.97),
    subject('peer|x', 'peer', 0.6),
  ],
  ratios: { 'bare fastify': 0.8506, 'peer|x': 0.5 },
  cpuRatios: { 'bare fastify': 0.71, 'peer|x': 0.45 },
  goals: { 'bare fastify': 0.85 },
}

describe('the claimed ratio', () => {
  it('is per server CPU-second, and judges the goal, once a load generator nears its core', () => {
    const claim = claimOf(busy)
    expect(claim.basis).toBe('per-cpu')
    expect(claim.ratios).toEqual({ 'bare fastify': 0.71, 'peer|x': 0.45 })
    const lines = formatScenarioTable({ ...busy, claim }).split('\n')
    expect(lines[0]).toContain('| ratio vs system (per server CPU-second) |')
    expect(lines[3]).toContain('| 0.71 | **no** (< 0.85) |')
    expect(formatClaimLine({ ...busy, claim })).toBe(
      'Claimed ratio: per server CPU-second, because the load generator used 97% of its core on the "bare fastify" ' +
        'row (over 85%), so req/s there measure the client too (req/s ratio for reference: 0.85 vs bare fastify, 0.50 vs peer|x)',
    )
  })

  it('is req/s while every load generator stays at or under 85% of its core, or without per-CPU figures', () => {
    const calm = claimOf({ ...busy, subjects: busy.subjects.map((x) => ({ ...x, loadCpu: 0.85 })) })
    expect(calm).toMatchObject({ basis: 'throughput', ratios: busy.ratios })
    expect(formatScenarioTable({ ...busy, claim: calm }).split('\n')[3]).toContain('| 0.85 | yes (≥ 0.85) |')
    expect(claimOf({ ...busy, cpuRatios: { 'bare fastify': 0.71 } }).basis).toBe('throughput')
    expect(claimOf({ ...busy, subjects: busy.subjects.map(({ loadCpu: _, ...x }) => x) }).reason).toBe(
      'no CPU figures for the load generator',
    )
  })

  it('is recorded by summarize with the result', () => {
    const scenario: BenchScenario = {
      name: 's',
      description: 'd',
      subjects: [
        { name: 'sys', role: 'system', load: { kind: 'http', path: '/' } },
        { name: 'floor', role: 'baseline', load: { kind: 'http', path: '/' } },
      ],
    }
    const r = summarize(scenario, [
      [sample(80, { serverCpu: 1, loadCpu: 0.6 })],
      [sample(100, { serverCpu: 0.8, loadCpu: 0.95 })],
    ])
    expect(r.claim).toMatchObject({ basis: 'per-cpu', ratios: { floor: 0.64 } })
    expect(summarize(scenario, [[sample(80)], [sample(100)]]).claim).toMatchObject({
      basis: 'throughput',
      ratios: { floor: 0.8 },
    })
  })
})
