/**
 * The harness's procedure: HTTP load helpers, /proc and output parsing, the command line, the
 * results file, the runner, and one smoke run of the real platform suite showing the whole
 * pipeline (child start, readiness, autocannon, RSS, teardown) still works. The arithmetic the
 * READMEs' figures come from is tested beside it (harness/stats, summarize, table, claim tests).
 */
import { describe, expect, it } from 'vitest'
import { parseBenchArgs, UsageError } from './harness/args.js'
import { configureChildren } from './harness/child.js'
import { countErrors, isExpected, requestsFor } from './harness/load-http.js'
import { parseStatCpuSeconds, parseVmHwmMb } from './harness/proc.js'
import { mergeResults, type RunInfo } from './harness/results.js'
import { runSuite, selectScenarios } from './harness/runner.js'
import { consoleUrlFromLine, listeningUrlFromLine } from './harness/servers.js'
import { loadSuite } from './harness/suites.js'
import platformSuite from './suites/platform.js'
import type { BenchSuite, ScenarioResult, StartedServer } from './types.js'

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
