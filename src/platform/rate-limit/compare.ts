/**
 * Compare the six algorithms on the same traffic, with the memory store and
 * a fake clock, and print the Markdown table quoted in README.md.
 *
 *   node --expose-gc --import tsx src/platform/rate-limit/compare.ts
 *
 * Every limiter allows 10 requests per 1000 ms (the buckets: a burst of 10).
 * Traffic: 20 requests at t = 999 ms, 20 more at t = 1000 ms (right across
 * the window boundary), then one request every 10 ms (100/s, ten times the
 * rate) until t = 6000 ms.
 */
import { createRateLimiter } from './limiter.js'
import { ALGORITHMS, type AlgorithmName } from './types.js'

const LIMIT = 10
const PERIOD = 1000

interface Row {
  algorithm: AlgorithmName
  at999: number
  at1000: number
  steady: number
  maxInWindow: number
}

async function run(algorithm: AlgorithmName): Promise<Row> {
  let now = 0
  const rl = createRateLimiter({
    algorithm,
    limit: LIMIT,
    periodMs: PERIOD,
    store: 'memory',
    clock: () => now,
  })
  const admittedAt: number[] = []
  const burst = async (t: number) => {
    now = t
    let n = 0
    for (let i = 0; i < 20; i++) if ((await rl.consume('client')).allowed) n++
    for (let i = 0; i < n; i++) admittedAt.push(t)
    return n
  }
  const at999 = await burst(999)
  const at1000 = await burst(1000)
  let steady = 0
  for (now = 1010; now < 6000; now += 10) {
    if ((await rl.consume('client')).allowed) {
      steady++
      admittedAt.push(now)
    }
  }
  // The most admitted in any window of PERIOD ms [t, t + PERIOD), over the whole run.
  let maxInWindow = 0
  for (const t of admittedAt) {
    const n = admittedAt.filter((u) => u >= t && u < t + PERIOD).length
    maxInWindow = Math.max(maxInWindow, n)
  }
  return { algorithm, at999, at1000, steady, maxInWindow }
}

/** Approximate heap bytes per limited key (needs --expose-gc for a steady reading). */
async function bytesPerKey(algorithm: AlgorithmName): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return undefined
  const keys = 50_000
  const rl = createRateLimiter({ algorithm, limit: LIMIT, periodMs: 60_000, store: 'memory', clock: () => 1 })
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < keys; i++) await rl.consume(`user:${100_000 + i}`)
  gc()
  const bytes = (process.memoryUsage().heapUsed - before) / keys
  await rl.consume('keep-alive') // keep `rl` (and its map) reachable until measured
  return Math.round(bytes)
}

const rows = []
for (const algorithm of ALGORITHMS)
  rows.push({ ...(await run(algorithm)), bytes: await bytesPerKey(algorithm) })

console.log(
  '| algorithm | admitted of 20 at 999 ms | admitted of 20 at 1000 ms | admitted of 499 at 100/s (1010-5990 ms) | most admitted in any 1000 ms | heap bytes per key (memory store) |',
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const r of rows)
  console.log(
    `| ${r.algorithm} | ${r.at999} | ${r.at1000} | ${r.steady} | ${r.maxInWindow} | ${r.bytes ?? 'run with --expose-gc'} |`,
  )
