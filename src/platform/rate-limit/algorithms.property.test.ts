/**
 * Property tests: each algorithm on the memory store, driven by a fake clock
 * through random schedules of requests (costs, peeks, gaps that straddle
 * window boundaries), must make the same decisions as a reference model
 * written straight from the algorithm's definition, over the log of what was
 * admitted, in a different way from the implementation:
 * - windows: sums over the admitted log;
 * - buckets (token, leaky, GCRA): the arrival-curve definition. A request of
 *   cost c at t is admitted iff for every earlier admission time s,
 *   admitted[s, t] + c <= burst + limit x (t - s) / periodMs.
 * Then retryAfterMs and resetMs are checked to be exact instants, not bounds.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyOp } from './algorithm.js'
import { algorithms } from './algorithms.js'
import { createRateLimiter } from './limiter.js'
import { ALGORITHMS, type AlgorithmName, BUCKET_ALGORITHMS, type Limits } from './types.js'
import { validateLimits } from './validate.js'

interface Admission {
  t: number
  cost: number
}

/** The reference decision: would `cost` be admitted at `now`, and what remains after (if it were)? */
function reference(
  algorithm: AlgorithmName,
  log: readonly Admission[],
  now: number,
  cost: number,
  { limit, periodMs: P, burst }: Limits,
): { allowed: boolean; remainingIf: (admitted: boolean) => number } {
  const sum = (f: (a: Admission) => boolean, extra = 0) => log.filter(f).reduce((n, a) => n + a.cost, extra)
  const window = (t: number) => Math.floor(t / P)
  switch (algorithm) {
    case 'fixed-window': {
      const used = sum((a) => window(a.t) === window(now))
      return { allowed: used + cost <= limit, remainingIf: (y) => limit - used - (y ? cost : 0) }
    }
    case 'sliding-window-log': {
      const used = sum((a) => a.t > now - P)
      return { allowed: used + cost <= limit, remainingIf: (y) => limit - used - (y ? cost : 0) }
    }
    case 'sliding-window-counter': {
      const prev = sum((a) => window(a.t) === window(now) - 1)
      const cur = sum((a) => window(a.t) === window(now))
      const elapsed = now - window(now) * P
      // estimate = prev x (P - elapsed) / P + cur, as an exact fraction over P
      const est = (c: number) => prev * (P - elapsed) + (cur + c) * P
      return {
        allowed: est(cost) <= limit * P,
        remainingIf: (y) => Math.max(0, Math.floor((limit * P - est(y ? cost : 0)) / P)),
      }
    }
    default: {
      // Tokens available at now, x P: the tightest arrival-curve constraint (or a full bucket).
      let tokens = burst * P
      for (const s of log)
        tokens = Math.min(tokens, burst * P + limit * (now - s.t) - sum((a) => a.t >= s.t) * P)
      return {
        allowed: tokens >= cost * P,
        remainingIf: (y) => Math.floor((tokens - (y ? cost * P : 0)) / P),
      }
    }
  }
}

const limitsArb = (algorithm: AlgorithmName) =>
  fc.record({
    limit: fc.integer({ min: 1, max: 8 }),
    periodMs: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 21, max: 1000 })),
    burst: BUCKET_ALGORITHMS.includes(algorithm) ? fc.integer({ min: 1, max: 12 }) : fc.constant(undefined),
  })

const stepsArb = fc.array(
  fc.record({
    // Mostly short gaps (bursts, the same millisecond), sometimes long ones (window changes).
    gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2500 })),
    cost: fc.integer({ min: 1, max: 12 }),
    peek: fc.boolean(),
  }),
  { maxLength: 60 },
)

describe.each(ALGORITHMS)('%s matches its reference model', (algorithm) => {
  it('admits and denies the same requests, with the same remaining units', async () => {
    await fc.assert(
      fc.asyncProperty(
        limitsArb(algorithm),
        fc.integer({ min: 0, max: 10_000 }),
        stepsArb,
        async (l, start, steps) => {
          const limits = validateLimits({ algorithm, ...l })
          let now = start
          const rl = createRateLimiter({ algorithm, ...l, store: 'memory', clock: () => now })
          const log: Admission[] = []
          for (const step of steps) {
            now += step.gap
            const cost = Math.min(step.cost, limits.burst)
            const ref = reference(algorithm, log, now, cost, limits)
            const got = await (step.peek ? rl.peek('k', cost) : rl.consume('k', cost))
            expect(got.allowed).toBe(ref.allowed)
            const admitted = ref.allowed && !step.peek
            expect(got.remaining).toBe(ref.remainingIf(admitted))
            if (admitted) log.push({ t: now, cost })
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('gives retryAfterMs and resetMs as exact instants', () => {
    const alg = algorithms[algorithm]
    fc.assert(
      fc.property(limitsArb(algorithm), fc.integer({ min: 0, max: 10_000 }), stepsArb, (l, start, steps) => {
        const limits = validateLimits({ algorithm, ...l })
        let now = start
        let state: unknown
        for (const step of steps) {
          now += step.gap
          const cost = Math.min(step.cost, limits.burst)
          const t = applyOp(alg, state, 'consume', cost, now, limits)
          if (t.changed) state = t.state
          const at = (dt: number, c: number) => applyOp(alg, state, 'peek', c, now + dt, limits).result
          const { retryAfterMs, resetMs } = t.result
          if (!t.result.allowed) {
            expect(at(retryAfterMs - 1, cost).allowed).toBe(false)
            expect(at(retryAfterMs, cost).allowed).toBe(true)
          }
          expect(at(resetMs, 1)).toMatchObject({ remaining: limits.burst, resetMs: 0 })
          if (resetMs > 0) expect(at(resetMs - 1, 1).remaining).toBeLessThan(limits.burst)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('the three buckets', () => {
  it('are one meter seen three ways: the same decisions for the same traffic', async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb('gcra'), stepsArb, async (l, steps) => {
        let now = 0
        const make = (algorithm: AlgorithmName) =>
          createRateLimiter({ algorithm, ...l, store: 'memory', clock: () => now })
        const [tb, lb, gc] = [make('token-bucket'), make('leaky-bucket'), make('gcra')]
        for (const step of steps) {
          now += step.gap
          const cost = Math.min(step.cost, l.burst ?? l.limit)
          const results = await Promise.all([tb, lb, gc].map((rl) => rl.consume('k', cost)))
          expect(results[1]).toEqual(results[0])
          expect(results[2]).toEqual(results[0])
        }
      }),
      { numRuns: 200 },
    )
  })
})
