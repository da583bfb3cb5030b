/**
 * The Lua scripts decide exactly like their TypeScript twins. Redis reads its
 * own clock, so this test runs a copy of each script (one per algorithm and
 * operation) whose `TIME` is replaced
 * by a fake instant passed in ARGV (and whose expiries are stretched so real
 * time cannot drop a key mid-run), then drives both with the same random
 * schedules of consume/peek/refund and compares every result field.
 * Runs under TEST_SERVICES=1 only (it needs Redis).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../config.js'
import { createRedis } from '../redis/client.js'
import { backends, uniqueId } from '../testing/backends.js'
import { applyOp } from './algorithm.js'
import { algorithms } from './algorithms.js'
import { SCRIPTS } from './store.redis.js'
import { ALGORITHMS, BUCKET_ALGORITHMS, type Op } from './types.js'
import { validateLimits } from './validate.js'

/** The script with a fake clock (ARGV[6] s, ARGV[7] us) and expiries an hour longer. */
function withFakeClock(source: string): string {
  const out = source
    .replace("redis.call('TIME')", '{ ARGV[6], ARGV[7] }')
    .replace(/(PEXPIRE', key\d, |'PX', )reset/g, '$1reset + 3600000')
  if (out === source || !out.includes('ARGV[6]') || !out.includes('reset + 3600000'))
    throw new Error('the script no longer reads TIME as expected')
  return out
}

describe.runIf(backends().includes('services'))('Lua scripts match the TypeScript algorithms', () => {
  it.each(ALGORITHMS)(
    '%s',
    async (algorithm) => {
      const redis = await createRedis(testServiceUrls().redisUrl, { keyPrefix: `test:${uniqueId()}:` })
      const scripts = SCRIPTS.get(algorithm)!
      const sources = new Map([...scripts].map(([op, sc]) => [op, withFakeClock(sc.source)]))
      const numberOfKeys = scripts.get('consume')!.numberOfKeys
      const alg = algorithms[algorithm]
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              limit: fc.integer({ min: 1, max: 8 }),
              periodMs: fc.integer({ min: 1, max: 1000 }),
              burst: BUCKET_ALGORITHMS.includes(algorithm)
                ? fc.integer({ min: 1, max: 12 })
                : fc.constant(undefined),
            }),
            fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
            fc.array(
              fc.record({
                gap: fc.oneof(
                  fc.constant(0),
                  fc.integer({ min: 0, max: 10 }),
                  fc.integer({ min: 0, max: 2500 }),
                ),
                cost: fc.integer({ min: 1, max: 12 }),
                op: fc.constantFrom<Op>('consume', 'consume', 'peek', 'refund'),
              }),
              { maxLength: 40 },
            ),
            async (l, start, steps) => {
              const limits = validateLimits({ algorithm, ...l })
              const base = `parity:{${uniqueId()}}`
              const keys = numberOfKeys === 2 ? [`${base}:log`, `${base}:sum`] : [base]
              let now = start
              let state: unknown
              for (const step of steps) {
                now += step.gap
                const cost = Math.min(step.cost, limits.burst)
                const t = applyOp(alg, state, step.op, cost, now, limits)
                if (t.changed) state = t.state
                const r = (await redis.eval(
                  sources.get(step.op)!,
                  keys.length,
                  ...keys,
                  limits.limit,
                  limits.periodMs,
                  limits.burst,
                  0, // no deadline
                  cost,
                  Math.floor(now / 1000),
                  (now % 1000) * 1000,
                )) as number[]
                expect({ step, got: r }).toEqual({
                  step,
                  got: [
                    t.result.allowed ? 1 : 0,
                    t.result.remaining,
                    t.result.limit,
                    t.result.resetMs,
                    t.result.retryAfterMs,
                  ],
                })
              }
              await redis.del(...keys)
            },
          ),
          { numRuns: 100 },
        )
      } finally {
        await redis.quit()
      }
    },
    20_000,
  )
})
