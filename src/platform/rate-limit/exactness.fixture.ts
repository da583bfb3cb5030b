/**
 * One client process of the multi-process exactness test (exactness.test.ts),
 * run as `node --import tsx src/platform/rate-limit/exactness.fixture.ts`.
 *
 * Reads its plan from EXACTNESS_PLAN (JSON, see `Plan`), connects to Redis
 * (REDIS_URL) under the plan's key prefix, loads every script (a peek on a
 * spare key), prints `ready`, and waits for `go <startAt>` on stdin (startAt:
 * epoch ms; the parent and its children share the host clock). Then, for each
 * scenario at once, `loops` concurrent client loops call `consume(key, cost)`
 * until `attempts` calls each or until `durationMs` after startAt, and it
 * prints one JSON line (`Report`) on stdout and exits.
 *
 * With `record`, each decision is kept with the Redis server time of the
 * script that made it, bracketed by a TIME command sent just before and one
 * just after the EVALSHA (or EVAL) on the same connection. Redis runs one
 * connection's commands in order, so the script's own TIME (which is the
 * limiter's clock) lies between the two: the bracket is exact, whatever the
 * network or event-loop delays, and usually under a millisecond wide. Each
 * loop has its own limiter over a thin view of the shared connection that
 * brackets exactly the script call that ran (on NOSCRIPT, the EVAL retry).
 */
import { createInterface } from 'node:readline'
import { testServiceUrls } from '../config.js'
import { createRedis, type Redis } from '../redis/client.js'
import { createRateLimiter } from './limiter.js'
import type { AlgorithmName } from './types.js'

export interface Scenario {
  id: string
  algorithm: AlgorithmName
  limit: number
  periodMs: number
  burst?: number
  cost: number
  key: string
  /** Concurrent client loops in this process. */
  loops: number
  /** Calls per loop (bounded in any case by `maxPerLoop`). */
  attempts?: number
  /** Stop `durationMs` after the start signal. */
  durationMs?: number
  /** Keep every decision with its server-time bracket. */
  record: boolean
  /** Pause after each decision of a loop (ms): bounds the work on a fast, idle machine. */
  gapMs?: number
}

export interface Plan {
  prefix: string
  scenarios: Scenario[]
}

/** One decision: [allowed 1/0, remaining, resetMs, retryAfterMs, TIME before (us), TIME after (us)]. */
export type Decision = [number, number, number, number, number, number]

export interface ScenarioReport {
  id: string
  admitted: number
  denied: number
  /** `remaining` of each admitted decision, in completion order. */
  admittedRemaining: number[]
  /** Largest `remaining` seen on a denial (-1: none). */
  maxDeniedRemaining: number
  decisions?: Decision[]
}

export interface Report {
  pid: number
  scenarios: ScenarioReport[]
  errors: string[]
}

const MAX_PER_LOOP = 5_000
const SPARE_KEY = 'exactness-warm-up'

// TIME replies [seconds, microseconds] (strings on the wire, whatever the typings say).
const micros = (t: readonly (string | number)[]) => Number(t[0]) * 1_000_000 + Number(t[1])

/** The part of the client the Redis store uses, with each script call bracketed by TIME. */
function bracketing(redis: Redis): { client: Redis; last: () => [number, number] } {
  let last: [number, number] = [Number.NaN, Number.NaN]
  const timed =
    (run: (...args: (string | number)[]) => Promise<unknown>) =>
    async (...args: (string | number)[]) => {
      // Written in this order, synchronously: Redis runs them in this order.
      const before = redis.time()
      const result = run(...args)
      const after = redis.time()
      const [b, r, a] = await Promise.all([before, result, after])
      last = [micros(b), micros(a)]
      return r
    }
  const evalsha = timed((...args) => (redis.evalsha as (...a: unknown[]) => Promise<unknown>)(...args))
  const evalScript = timed((...args) => (redis.eval as (...a: unknown[]) => Promise<unknown>)(...args))
  const client = new Proxy(redis, {
    get(target, prop) {
      if (prop === 'evalsha') return evalsha
      if (prop === 'eval') return evalScript
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  return { client, last: () => last }
}

async function runScenario(redis: Redis, s: Scenario, startAt: number, errors: string[]) {
  const report: ScenarioReport = {
    id: s.id,
    admitted: 0,
    denied: 0,
    admittedRemaining: [],
    maxDeniedRemaining: -1,
    ...(s.record && { decisions: [] }),
  }
  const stopAt = s.durationMs === undefined ? Number.POSITIVE_INFINITY : startAt + s.durationMs
  const calls = Math.min(s.attempts ?? MAX_PER_LOOP, MAX_PER_LOOP)
  const loop = async () => {
    const probe = bracketing(redis)
    const rl = createRateLimiter({
      algorithm: s.algorithm,
      limit: s.limit,
      periodMs: s.periodMs,
      burst: s.burst,
      store: { redis: s.record ? probe.client : redis },
    })
    for (let i = 0; i < calls && Date.now() < stopAt; i++) {
      let r: Awaited<ReturnType<typeof rl.consume>>
      try {
        r = await rl.consume(s.key, s.cost)
      } catch (err) {
        errors.push(`${s.id}: ${(err as Error).message}`)
        return
      }
      if (r.allowed) {
        report.admitted++
        report.admittedRemaining.push(r.remaining)
      } else {
        report.denied++
        report.maxDeniedRemaining = Math.max(report.maxDeniedRemaining, r.remaining)
      }
      if (report.decisions) {
        const [before, after] = probe.last()
        report.decisions.push([r.allowed ? 1 : 0, r.remaining, r.resetMs, r.retryAfterMs, before, after])
      }
      if (s.gapMs) await new Promise((resolve) => setTimeout(resolve, s.gapMs))
    }
  }
  await Promise.all(Array.from({ length: s.loops }, loop))
  return report
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.env.EXACTNESS_PLAN ?? '') as Plan
  const redis = await createRedis(testServiceUrls().redisUrl, { keyPrefix: plan.prefix })
  // Load every script now (a peek writes nothing), so no NOSCRIPT round trip skews the start.
  for (const s of plan.scenarios) {
    const rl = createRateLimiter({ ...s, store: { redis } })
    await rl.peek(SPARE_KEY)
  }
  const lines = createInterface({ input: process.stdin })
  const go = new Promise<number>((resolve) =>
    lines.on('line', (line) => {
      const m = /^go (\d+)$/.exec(line.trim())
      if (m) resolve(Number(m[1]))
    }),
  )
  process.stdout.write('ready\n')
  const startAt = await go
  lines.close()
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())))
  const errors: string[] = []
  const scenarios = await Promise.all(plan.scenarios.map((s) => runScenario(redis, s, startAt, errors)))
  const report: Report = { pid: process.pid, scenarios, errors }
  await redis.quit()
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

await main()
