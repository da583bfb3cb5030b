/**
 * The harness's arithmetic and procedure: the figures READMEs quote come
 * from here, so the math is tested where it can go wrong (even counts,
 * per-round ratios vs ratio of medians, goal boundaries, error counting),
 * and one smoke run of the real platform suite shows the whole pipeline
 * (child start, readiness, autocannon, RSS, teardown) still works.
 */
import { describe, expect, it } from 'vitest'
import { parseBenchArgs, UsageError } from './harness/args.js'
import { configureChildren } from './harness/child.js'
import { countErrors, isExpected, requestsFor } from './harness/load-http.js'
import { parseStatCpuSeconds, parseVmHwmMb } from './harness/proc.js'
import { mergeResults, type RunInfo } from './harness/results.js'
import { cpuNotes, runSuite, selectScenarios, summarize } from './harness/runner.js'
import { consoleUrlFromLine, listeningUrlFromLine } from './harness/servers.js'
import {
  combineSlices,
  goalMet,
  median,
  medianRatio,
  percentile,
  percentiles,
  perServerCpu,
  type RoundSample,
  roundRatios,
} from './harness/stats.js'
import { loadSuite } from './harness/suites.js'
import { formatMs, formatScenario, formatScenarioTable, goalCell } from './harness/table.js'
import platformSuite from './suites/platform.js'
import type { BenchScenario, BenchSuite, ScenarioResult, StartedServer } from './types.js'

const sample = (opsPerSec: number, extra: Partial<RoundSample> = {}): RoundSample => ({
  total: opsPerSec,
  ok: opsPerSec,
  errors: 0,
  durationSec: 1,
  opsPerSec,
  p50Ms: 1,
  p99Ms: 2,
  ...extra,
})

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

describe('HTTP load helpers', () => {
  it('counts unexpected statuses and transport errors as errors', () => {
    const stats = { '200': { count: 90 }, '302': { count: 5 }, '404': { count: 3 }, '503': { count: 2 } }
    expect(countErrors({ errors: 4, statusCodeStats: stats }, undefined)).toEqual({
      errors: 9,
      unexpected: 5,
      statusCounts: { '200': 90, '302': 5, '404': 3, '503': 2 },
    })
    expect(countErrors({ errors: 0, statusCodeStats: stats }, [404]).errors).toBe(97)
    expect(isExpected(399, undefined)).toBe(true)
    expect(isExpected(199, undefined)).toBe(false)
  })
  it('builds a fixed request once, and generated paths and bodies per request', () => {
    expect(requestsFor({ kind: 'http', path: '/a' })).toEqual([{ method: 'GET', path: '/a' }])
    let n = 0
    const [req] = requestsFor({
      kind: 'http',
      method: 'POST',
      path: () => `/p/${++n}`,
      body: () => `{"n":${n}}`,
    })
    const setup = req!.setupRequest as (r: object, ctx: object) => { path: string; body: string }
    const built = setup({ ...req }, {})
    expect(built.path).toBe('/p/2')
    expect(built.body).toBe('{"n":2}')
    expect(setup({ ...req }, {}).path).toBe('/p/3')
  })
})

describe('process and output parsing', () => {
  it('reads VmHWM and utime+stime from /proc texts', () => {
    expect(parseVmHwmMb('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t 1024 kB\n')).toBe(200)
    expect(parseVmHwmMb('Name:\tnode\n')).toBeUndefined()
    // A command name with spaces and parentheses must not shift the fields.
    const stat = '42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1234 0 0'
    expect(parseStatCpuSeconds(stat)).toBe(3)
    expect(parseStatCpuSeconds('garbage')).toBeUndefined()
  })
  it('finds the URL servers print', () => {
    expect(consoleUrlFromLine('  console   http://127.0.0.1:41234/')).toBe('http://127.0.0.1:41234')
    expect(consoleUrlFromLine('  API docs  http://127.0.0.1:41234/docs')).toBeUndefined()
    expect(listeningUrlFromLine('{"listening":"http://127.0.0.1:5"}')).toBe('http://127.0.0.1:5')
    expect(listeningUrlFromLine('{"level":"info"}')).toBeUndefined()
    expect(listeningUrlFromLine('{not json')).toBeUndefined()
  })
})

describe('command line', () => {
  it('parses defaults, options and smoke', () => {
    expect(parseBenchArgs(['platform'])).toMatchObject({
      system: 'platform',
      rounds: 5,
      durationSec: 10,
      sliceSec: 2,
      warmupSec: 10,
    })
    expect(parseBenchArgs(['platform', 'trivial-route', '--rounds', '7', '--duration', '2.5'])).toMatchObject(
      {
        scenario: 'trivial-route',
        rounds: 7,
        durationSec: 2.5,
      },
    )
    expect(parseBenchArgs(['platform', '--smoke', '--rounds', '9'])).toMatchObject({
      rounds: 1,
      durationSec: 1,
      warmupSec: 0,
      smoke: true,
    })
    expect(parseBenchArgs(['--help'])).toBeUndefined()
  })
  it('rejects bad input with a usage error', () => {
    for (const argv of [
      [],
      ['platform', '--rounds', '2'],
      ['platform', '--rounds', '3.5'],
      ['platform', '--duration', '0'],
      ['platform', '--duration', ''],
      ['platform', '--slice', '0.5'],
      ['platform', '--bogus'],
      ['platform', 'a', 'b'],
    ])
      expect(() => parseBenchArgs(argv), argv.join(' ')).toThrow(UsageError)
  })
  it('names the available suites for an unknown system', async () => {
    await expect(loadSuite('no-such-system')).rejects.toThrow(/available: platform/)
  })
})

describe('results file', () => {
  const run = (date: string): RunInfo => ({
    date,
    rounds: 5,
    durationSec: 10,
    sliceSec: 2,
    warmupSec: 5,
    machine: { cpuModel: 'x', cores: 2, memoryMb: 1, node: 'v20', platform: 'linux-x64', pinned: true },
  })
  const res = (scenario: string): ScenarioResult => ({
    scenario,
    description: '',
    subjects: [],
    ratios: {},
    goals: {},
  })
  it('replaces the scenarios it ran, keeps the others, in suite order', () => {
    const first = mergeResults(undefined, 'p', run('d1'), [res('b'), res('a')], ['a', 'b'])
    expect(first.scenarios.map((s) => s.scenario)).toEqual(['a', 'b'])
    const second = mergeResults(first, 'p', run('d2'), [res('b')], ['a', 'b'])
    expect(second.scenarios.map((s) => [s.scenario, s.run.date])).toEqual([
      ['a', 'd1'],
      ['b', 'd2'],
    ])
    expect(second.run.date).toBe('d2')
  })
})

describe('runner', () => {
  const custom = (ops: number, errors = 0) => ({
    kind: 'custom' as const,
    run: async () => ({ ops, latenciesMs: [1, 2, 3], errors }),
  })
  it('reports a subject that fails to start and one whose every request fails, and stops shared servers once', async () => {
    let starts = 0
    let stops = 0
    const shared = async (): Promise<StartedServer> => {
      starts++
      return { url: 'http://unused', pid: process.pid, stop: async () => void stops++ }
    }
    const suite: BenchSuite = {
      system: 't',
      scenarios: [
        {
          name: 'broken',
          description: '',
          subjects: [
            { name: 'a', role: 'system', start: shared, load: custom(10) },
            { name: 'b', role: 'baseline', start: () => Promise.reject(new Error('boom')), load: custom(10) },
          ],
        },
        {
          name: 'failing',
          description: '',
          subjects: [
            { name: 'a', role: 'system', start: shared, load: custom(10) },
            { name: 'c', role: 'baseline', load: custom(0, 5) },
          ],
        },
      ],
    }
    const { results, failures } = await runSuite(suite, { rounds: 3, durationSec: 0.01, warmupSec: 0 })
    expect(failures).toHaveLength(2)
    expect(failures[0]).toMatch(/broken: b failed to start: boom/)
    expect(failures[1]).toMatch(/failing: every request to c failed/)
    expect(results.map((r) => r.scenario)).toEqual(['failing'])
    expect(results[0]!.subjects[1]!.errors).toBe(15)
    expect(starts).toBe(1)
    expect(stops).toBe(1)
  })
  it('interleaves subjects slice by slice within every round, after one warm-up each', async () => {
    const calls: string[] = []
    const recording = (name: string) => ({
      kind: 'custom' as const,
      run: async ({ durationMs }: { durationMs: number }) => {
        calls.push(`${name}${durationMs}`)
        return { ops: 1, latenciesMs: [1] }
      },
    })
    const suite: BenchSuite = {
      system: 't',
      scenarios: [
        {
          name: 's',
          description: '',
          subjects: [
            { name: 'a', role: 'system', load: recording('a') },
            { name: 'b', role: 'baseline', load: recording('b') },
          ],
        },
      ],
    }
    const { results } = await runSuite(suite, { rounds: 2, durationSec: 4, sliceSec: 2, warmupSec: 1 })
    expect(calls).toEqual(['a1000', 'b1000', ...Array(4).fill(['a2000', 'b2000']).flat()])
    expect(results[0]!.subjects[0]!.rounds).toHaveLength(2)
  })
  it('rejects an unknown scenario, naming the known ones', async () => {
    await expect(
      runSuite(platformSuite, { rounds: 1, durationSec: 1, warmupSec: 0, scenario: 'x' }),
    ).rejects.toThrow(/available: trivial-route, not-found/)
  })
  it('selects several scenarios from a comma-separated list, in the suite order, and names an unknown one', () => {
    const names = (list: string) => selectScenarios(platformSuite, list).map((s) => s.name)
    expect(names('not-found,trivial-route')).toEqual(['trivial-route', 'not-found'])
    expect(names('not-found')).toEqual(['not-found'])
    expect(() => selectScenarios(platformSuite, 'trivial-route,nope')).toThrow(/unknown scenario "nope"/)
  })
})

describe('platform suite smoke', () => {
  it('starts both servers, loads every scenario and stops them (timings not asserted)', {
    // Two servers boot and every scenario runs briefly: ~20 s alone, longer on a loaded machine.
    timeout: 120_000,
  }, async () => {
    // Not pinned: the test runner shares the machine with other test workers.
    configureChildren({ pin: false })
    const { results, failures } = await runSuite(platformSuite, { rounds: 1, durationSec: 1, warmupSec: 0 })
    expect(failures).toEqual([])
    expect(results.map((r) => r.scenario)).toEqual(['trivial-route', 'not-found'])
    for (const r of results)
      for (const s of r.subjects) {
        expect(s.opsPerSec, `${r.scenario} ${s.name}`).toBeGreaterThan(0)
        expect(s.errors, `${r.scenario} ${s.name}`).toBe(0)
        expect(s.peakRssMb, `${r.scenario} ${s.name}`).toBeGreaterThan(10)
      }
    expect(results[0]!.subjects[0]!.statusCounts).toHaveProperty('200')
    expect(results[1]!.subjects[0]!.statusCounts).toHaveProperty('404')
    expect(Number.isFinite(results[0]!.ratios['bare fastify'])).toBe(true)
  })
})
