/** A scenario's summary: medians of the rounds, errors and statuses, ratios per subject, CPU notes. */
import { describe, expect, it } from 'vitest'
import type { BenchScenario } from '../types.js'
import { cpuNotes, summarize } from './runner.js'
import { medianRatio, perServerCpu } from './stats.js'
import { formatScenario } from './table.js'
import { sample } from './test-samples.js'

describe('summarize', () => {
  const scenario: BenchScenario = {
    name: 's',
    description: 'd',
    subjects: [
      { name: 'sys', role: 'system', load: { kind: 'http', path: '/' } },
      { name: 'floor', role: 'baseline', load: { kind: 'http', path: '/' } },
      { name: 'peer', role: 'peer', load: { kind: 'http', path: '/' } },
    ],
    goals: { floor: 0.85 },
  }
  it('takes medians of rates and latencies, sums errors and statuses, ratios per subject', () => {
    const r = summarize(
      scenario,
      [
        [sample(90, { errors: 1, p99Ms: 9, statusCounts: { '200': 89, '500': 1 } }), sample(80), sample(100)],
        [sample(100), sample(100), sample(100, { statusCounts: { '200': 100 } })],
        [sample(45), sample(40), sample(50)],
      ],
      [120.5, 40, undefined],
    )
    const [sys, floor, peer] = r.subjects
    expect(sys!.opsPerSec).toBe(90)
    expect(sys!.p99Ms).toBe(2)
    expect(sys!.errors).toBe(1)
    expect(sys!.statusCounts).toEqual({ '200': 89, '500': 1 })
    expect(sys!.rounds).toEqual([90, 80, 100])
    expect(sys!.peakRssMb).toBe(120.5)
    expect(floor!.statusCounts).toEqual({ '200': 100 })
    expect(peer!.peakRssMb).toBeUndefined()
    expect(r.ratios).toEqual({ floor: 0.9, peer: 2 })
    expect(r.ratioRounds?.floor).toEqual([0.9, 0.8, 1])
    expect(r.goals).toEqual({ floor: 0.85 })
  })
  it("carries a subject's own measures into its result and prints them under the table", () => {
    const r = summarize(
      scenario,
      [[sample(1)], [sample(1)], [sample(1)]],
      [],
      [{ bytesPerConnection: 1234.5, connectionsPerGiB: 812_345 }, undefined],
    )
    expect(r.subjects[0]!.measures).toEqual({ bytesPerConnection: 1234.5, connectionsPerGiB: 812_345 })
    expect(r.subjects[1]).not.toHaveProperty('measures')
    expect(formatScenario(r, 'ops/s')).toContain(
      'Measured on sys: bytesPerConnection 1,234.5, connectionsPerGiB 812,345',
    )
  })
  it('has no ratios without a system subject', () => {
    const noSystem = { ...scenario, subjects: scenario.subjects.slice(1) }
    expect(summarize(noSystem, [[sample(1)], [sample(2)]]).ratios).toEqual({})
  })
  it('notes a saturated load generator, or a busy machine, only when the server had room', () => {
    expect(cpuNotes('x', 0.5, 0.97)[0]).toMatch(/client may be the bottleneck/)
    expect(cpuNotes('x', 0.5, 0.4)[0]).toMatch(/other processes were competing/)
    expect(cpuNotes('x', 0.99, 0.97)).toHaveLength(0)
    expect(cpuNotes('x', undefined, 0.97)).toHaveLength(0)
  })
  it('computes per-CPU ratios that cancel a server starved of its core', () => {
    // The system got its whole core; the baseline only half of its own, and so served half as much.
    const system = [
      sample(900, { serverCpu: 1 }),
      sample(880, { serverCpu: 1 }),
      sample(910, { serverCpu: 1 }),
    ]
    const other = [
      sample(500, { serverCpu: 0.5 }),
      sample(1000, { serverCpu: 1 }),
      sample(500, { serverCpu: 0.5 }),
    ]
    const r = summarize({ ...scenario, subjects: scenario.subjects.slice(0, 2) }, [system, other])
    expect(r.ratios.floor).toBeCloseTo(1.8)
    expect(r.cpuRatios?.floor).toBeCloseTo(0.9)
    expect(r.subjects[1]!.opsPerCpuSec).toBe(1000)
    expect(
      medianRatio([sample(1, { serverCpu: 0.01 })], [sample(1, { serverCpu: 1 })], perServerCpu),
    ).toBeNaN()
  })
})
