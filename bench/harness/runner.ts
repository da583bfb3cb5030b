/**
 * The measuring procedure, independent of the CLI: for each scenario, start
 * every subject, prepare, warm up, then run the rounds interleaved
 * (A B A B ...) so that a slow spell of the machine hits every subject in
 * the same round, and the per-round ratio cancels it. Within a round the
 * subjects alternate in short slices: on a shared machine a burst of work
 * from another process lasts seconds, and a 10 s run of A followed by a
 * 10 s run of B would see different bursts. Failures to start, or
 * a subject whose every request failed, are collected, not thrown: the other
 * scenarios still run, and the caller decides the exit code.
 */
import type { BenchScenario, BenchSubject, BenchSuite, ScenarioResult, StartedServer } from '../types.js'
import { UsageError } from './args.js'
import { claimOf } from './claim.js'
import { runLoad } from './load.js'
import { peakRssMb } from './proc.js'
import {
  combineSlices,
  median,
  medianRatio,
  perServerCpu,
  type RoundSample,
  roundRatios,
  type Slice,
  sum,
} from './stats.js'

export interface RunOptions {
  /** Measured rounds per subject. */
  rounds: number
  /** Seconds of load per subject per round. */
  durationSec: number
  /**
   * A round gives each subject its duration in slices of about this many
   * seconds, alternating subjects slice by slice (default: one slice).
   */
  sliceSec?: number
  /** Seconds of warm-up per subject before the rounds (0: none). */
  warmupSec: number
  /** Run only this scenario. */
  scenario?: string
  /** Progress lines (default: nothing). */
  log?: (line: string) => void
}

export interface SuiteRun {
  results: ScenarioResult[]
  /** One line per failure; any failure means the run failed. */
  failures: string[]
}

/** The scenarios `opts.scenario` selects; an unknown name throws, listing the known ones. */
export function selectScenarios(suite: BenchSuite, name: string | undefined): BenchScenario[] {
  if (name === undefined) return suite.scenarios
  // Several scenarios as a comma-separated list, run in the suite's order.
  const wanted = name.split(',')
  for (const w of wanted)
    if (!suite.scenarios.some((s) => s.name === w))
      throw new UsageError(
        `unknown scenario ${JSON.stringify(w)} for ${suite.system}; available: ${suite.scenarios.map((s) => s.name).join(', ')}`,
      )
  return suite.scenarios.filter((s) => wanted.includes(s.name))
}

type StartFn = NonNullable<BenchSubject['start']>

/**
 * Servers keyed by their start function. Subjects that pass the same
 * function (in one scenario or several) share one server, which spares a
 * second multi-second boot; a server stops once the last scenario using it
 * is done. A suite that wants a fresh server per scenario passes a new
 * function per scenario (an inline arrow does).
 */
class ServerPool {
  private readonly servers = new Map<StartFn, Promise<StartedServer>>()
  private readonly users = new Map<StartFn, number>()

  constructor(scenarios: readonly BenchScenario[]) {
    for (const sc of scenarios)
      for (const fn of new Set(sc.subjects.map((s) => s.start).filter((f) => f !== undefined)))
        this.users.set(fn, (this.users.get(fn) ?? 0) + 1)
  }

  acquire(fn: StartFn): Promise<StartedServer> {
    let p = this.servers.get(fn)
    if (!p) {
      p = fn()
      this.servers.set(fn, p)
    }
    return p
  }

  /** A scenario is done with these servers; stop those nobody else will use. */
  async release(fns: Iterable<StartFn>): Promise<void> {
    const stops: Promise<void>[] = []
    for (const fn of new Set(fns)) {
      const left = (this.users.get(fn) ?? 1) - 1
      this.users.set(fn, left)
      const p = this.servers.get(fn)
      if (left <= 0 && p) {
        this.servers.delete(fn)
        stops.push(p.then((s) => s.stop()).catch(() => {}))
      }
    }
    await Promise.all(stops)
  }
}

export async function runSuite(suite: BenchSuite, opts: RunOptions): Promise<SuiteRun> {
  const scenarios = selectScenarios(suite, opts.scenario)
  const pool = new ServerPool(scenarios)
  const results: ScenarioResult[] = []
  const failures: string[] = []
  for (const scenario of scenarios) {
    const startFns = scenario.subjects.map((s) => s.start).filter((f) => f !== undefined)
    try {
      const result = await runScenario(scenario, pool, opts, failures)
      if (result) results.push(result)
    } finally {
      await pool.release(startFns)
    }
  }
  return { results, failures }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

async function runScenario(
  scenario: BenchScenario,
  pool: ServerPool,
  opts: RunOptions,
  failures: string[],
): Promise<ScenarioResult | undefined> {
  const log = (line: string) => opts.log?.(`[${scenario.name}] ${line}`)
  const subjects = scenario.subjects

  // Start every subject at once: boots overlap, and nothing is measured yet.
  log(`starting ${subjects.map((s) => s.name).join(', ')}`)
  const started = await Promise.allSettled(
    subjects.map((s) => (s.start ? pool.acquire(s.start) : Promise.resolve(undefined))),
  )
  const servers: (StartedServer | undefined)[] = []
  started.forEach((r, i) => {
    if (r.status === 'fulfilled') servers.push(r.value)
    else {
      servers.push(undefined)
      failures.push(`${scenario.name}: ${subjects[i]!.name} failed to start: ${(r.reason as Error).message}`)
    }
  })
  if (started.some((r) => r.status === 'rejected')) return undefined
  for (const [i, s] of subjects.entries()) {
    const server = servers[i]
    if (server) log(`${s.name}: ${server.url} (pid ${server.pid})`)
  }

  const samples: RoundSample[][] = subjects.map(() => [])
  try {
    for (const [i, s] of subjects.entries()) await s.prepare?.(servers[i])
    if (opts.warmupSec > 0)
      for (const [i, s] of subjects.entries()) {
        const w = combineSlices([await runLoad(s, servers[i], opts.warmupSec)])
        log(`warm-up ${s.name}: ${fmt(w.opsPerSec)} ops/s`)
      }
    const sliceCount = Math.max(1, Math.round(opts.durationSec / (opts.sliceSec ?? opts.durationSec)))
    const sliceSec = opts.durationSec / sliceCount
    for (let round = 1; round <= opts.rounds; round++) {
      const slices: Slice[][] = subjects.map(() => [])
      for (let k = 0; k < sliceCount; k++)
        for (const [i, s] of subjects.entries()) slices[i]!.push(await runLoad(s, servers[i], sliceSec))
      const parts: string[] = []
      for (const [i, s] of subjects.entries()) {
        const sample = combineSlices(slices[i]!)
        samples[i]!.push(sample)
        parts.push(
          `${s.name} ${fmt(sample.opsPerSec)} ops/s${sample.errors ? ` (${sample.errors} errors)` : ''}`,
        )
      }
      log(`round ${round}/${opts.rounds}: ${parts.join(', ')}`)
    }
  } catch (err) {
    failures.push(`${scenario.name}: load failed: ${(err as Error).stack ?? err}`)
    return undefined
  }

  // After the rounds: the high-water mark then covers boot, warm-up and load.
  const rss = servers.map((s) => (s ? peakRssMb(s.pid) : undefined))
  for (const [i, s] of subjects.entries()) {
    const ok = sum(samples[i]!.map((x) => x.ok))
    if (ok === 0) failures.push(`${scenario.name}: every request to ${s.name} failed`)
  }
  return summarize(
    scenario,
    samples,
    rss,
    subjects.map((s) => s.measures?.()),
  )
}

/** Reduce the samples of every subject to the scenario's result: medians, sums and ratios. */
export function summarize(
  scenario: BenchScenario,
  samples: readonly (readonly RoundSample[])[],
  rss: readonly (number | undefined)[] = [],
  measures: readonly (Record<string, number> | undefined)[] = [],
): ScenarioResult {
  const subjects = scenario.subjects.map((s, i) => {
    const xs = samples[i] ?? []
    const statusCounts: Record<string, number> = {}
    for (const x of xs)
      for (const [code, n] of Object.entries(x.statusCounts ?? {}))
        statusCounts[code] = (statusCounts[code] ?? 0) + n
    const serverCpu = median(xs.map((x) => x.serverCpu ?? Number.NaN))
    const loadCpu = median(xs.map((x) => x.loadCpu ?? Number.NaN))
    const opsPerCpuSec = median(xs.map((x) => perServerCpu(x) ?? Number.NaN))
    return {
      name: s.name,
      role: s.role,
      opsPerSec: median(xs.map((x) => x.opsPerSec)),
      p50Ms: median(xs.map((x) => x.p50Ms)),
      p99Ms: median(xs.map((x) => x.p99Ms)),
      errors: sum(xs.map((x) => x.errors)),
      peakRssMb: rss[i],
      rounds: xs.map((x) => x.opsPerSec),
      ...(Object.keys(statusCounts).length > 0 ? { statusCounts } : {}),
      ...(Number.isFinite(serverCpu) ? { serverCpu } : {}),
      ...(Number.isFinite(loadCpu) ? { loadCpu } : {}),
      ...(Number.isFinite(opsPerCpuSec) ? { opsPerCpuSec } : {}),
      ...(measures[i] ? { measures: measures[i] } : {}),
    }
  })
  const sys = scenario.subjects.findIndex((s) => s.role === 'system')
  const ratios: Record<string, number> = {}
  const ratioRounds: Record<string, number[]> = {}
  const cpuRatios: Record<string, number> = {}
  if (sys >= 0)
    scenario.subjects.forEach((s, i) => {
      if (i === sys) return
      ratios[s.name] = medianRatio(samples[sys] ?? [], samples[i] ?? [])
      ratioRounds[s.name] = roundRatios(samples[sys] ?? [], samples[i] ?? [])
      const c = medianRatio(samples[sys] ?? [], samples[i] ?? [], perServerCpu)
      if (Number.isFinite(c)) cpuRatios[s.name] = c
    })
  const notes = subjects.flatMap((s) => cpuNotes(s.name, s.serverCpu, s.loadCpu))
  const withCpu = Object.keys(cpuRatios).length > 0 ? { cpuRatios } : {}
  return {
    scenario: scenario.name,
    description: scenario.description,
    subjects,
    ratios,
    goals: { ...scenario.goals },
    ratioRounds,
    ...withCpu,
    ...(notes.length > 0 ? { notes } : {}),
    ...(sys >= 0 && Object.keys(ratios).length > 0
      ? { claim: claimOf({ subjects, ratios, ...withCpu }) }
      : {}),
  }
}

/**
 * What the CPU figures say about a row. The server should be the limit: it
 * uses its whole core. If the load generator is near a full core while the
 * server is not, the client was the bottleneck (that row measures
 * autocannon, and a ratio against it understates the gap). If neither is
 * near a full core, something else took the server's core: the machine was
 * busy, absolute numbers are low, and the per-CPU ratio is the better guide.
 */
export function cpuNotes(name: string, serverCpu: number | undefined, loadCpu: number | undefined): string[] {
  if (loadCpu === undefined || serverCpu === undefined || serverCpu >= 0.85) return []
  if (loadCpu >= 0.9)
    return [
      `${name}: the load generator used ${pct(loadCpu)} of a core while the server used ${pct(serverCpu)}; ` +
        'the client may be the bottleneck for this row',
    ]
  return [
    `${name}: the server got ${pct(serverCpu)} of its core and the load generator ${pct(loadCpu)} of its own; ` +
      'other processes were competing for the CPU, so its req/s are low: compare the per-CPU ratio',
  ]
}

const pct = (x: number) => `${Math.round(x * 100)}%`
