/**
 * The benchmark contract. A system's `bench.ts` default-exports a
 * `BenchSuite`: scenarios, each with subjects run side by side (the system
 * first, then its baselines and peers). The harness (`bench/run.ts`) starts
 * each subject's server in a child pinned to core 0, drives it from core 1,
 * interleaves subjects round by round, and reports medians and ratios.
 */
import type { Claim } from './harness/claim.js'

export interface StartedServer {
  /** Base URL of the server under load, e.g. http://127.0.0.1:41234 */
  url: string
  /** PID whose peak RSS is reported (the server process). */
  pid: number
  stop(): Promise<void>
}

/** One HTTP load (autocannon's in-process API). */
export interface HttpLoad {
  kind: 'http'
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /**
   * A fixed path, or a generator called per request (e.g. random codes) with the base URL of the server
   * under load (two servers of one suite, e.g. an A/B run's, may hold different data).
   */
  path: string | ((baseUrl: string) => string)
  headers?: Record<string, string>
  body?: string | (() => string)
  connections?: number
  pipelining?: number
  /** Status codes that count as success (default: 2xx and 3xx). */
  expectStatus?: number[]
}

/**
 * A load the subject drives itself (library calls, WebSocket fan-out); returns ops done and latencies.
 * `ops` counts successful operations; failed ones go in the optional `errors`.
 */
export interface CustomLoad {
  kind: 'custom'
  run(ctx: {
    durationMs: number
    server: StartedServer | undefined
  }): Promise<{ ops: number; latenciesMs: number[]; errors?: number }>
}

export interface BenchSubject {
  /** Row label: e.g. 'blueprints', 'bare fastify', 'rate-limiter-flexible'. */
  name: string
  role: 'system' | 'baseline' | 'peer'
  /** Start the server under test (omit for in-process library subjects). */
  start?: () => Promise<StartedServer>
  /** Run once after start, before warm-up (seed data). */
  prepare?: (server: StartedServer | undefined) => Promise<void>
  load: HttpLoad | CustomLoad
  /**
   * Figures the subject measured itself, beyond the rate (e.g. bytes per idle connection), read once
   * after the rounds: written to the results file with the subject and printed under the table.
   */
  measures?: () => Record<string, number> | undefined
}

export interface BenchScenario {
  name: string
  description: string
  subjects: BenchSubject[]
  /** Ratio goals for the README, e.g. { 'bare fastify': 0.85 } means system/baseline >= 0.85. */
  goals?: Record<string, number>
}

export interface BenchSuite {
  system: string
  scenarios: BenchScenario[]
}

export interface SubjectResult {
  name: string
  role: BenchSubject['role']
  /** Median over rounds. */
  opsPerSec: number
  p50Ms: number
  p99Ms: number
  /** Failed requests (connection errors, timeouts, unexpected statuses), summed over rounds. */
  errors: number
  /** VmHWM of the server process after the rounds; undefined for in-process subjects. */
  peakRssMb: number | undefined
  /** ops/s of each round, in order. */
  rounds: number[]
  /** Responses by status code, summed over rounds (HTTP loads). */
  statusCounts?: Record<string, number>
  /** Median CPU use during rounds, in cores (1 = one full core): the server's and the load generator's. */
  serverCpu?: number
  loadCpu?: number
  /** Median over rounds of ops/s divided by the server's CPU use: work per CPU-second. */
  opsPerCpuSec?: number
  /** What the subject's `measures()` returned. */
  measures?: Record<string, number>
}

export interface ScenarioResult {
  scenario: string
  description: string
  subjects: SubjectResult[]
  /** system ops/s divided by each other subject's, medians of per-round ratios. */
  ratios: Record<string, number>
  goals: Record<string, number>
  /** The per-round ratios behind each median. */
  ratioRounds?: Record<string, number[]>
  /** Like `ratios`, on ops per server CPU-second: robust to other processes taking the server's core. */
  cpuRatios?: Record<string, number>
  /** Caveats found while measuring (e.g. the load generator saturated its core). */
  notes?: string[]
  /** The ratio the scenario claims (harness/claim.ts): `ratios`, or `cpuRatios` when the load generator neared its core. */
  claim?: Claim
}
