/**
 * The RateLimiter contract: what every algorithm must do the same way on
 * every store. Run by rate-limit.test.ts on the memory store, and on Redis
 * under TEST_SERVICES=1.
 *
 * Several "processes" share one limiter: `open(spec, process)` returns the
 * limiter as process number `process` would build it (for Redis: its own
 * connection, same key prefix). The memory store cannot cross processes, so
 * it returns one limiter per spec. Time is real here (Redis reads its own
 * clock); the exact timing is property-tested on the memory store with a fake
 * clock (algorithms.property.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { uniqueId } from '../testing/backends.js'
import type { RateLimiter } from './limiter.js'
import { ALGORITHMS, type AlgorithmName, BUCKET_ALGORITHMS, RateLimitInputError } from './types.js'

export interface LimiterSpec {
  algorithm: AlgorithmName
  limit: number
  periodMs: number
  burst?: number
}

export interface LimiterProcesses {
  /** The limiter of `spec` as process number `process` would open it (same shared state). */
  open(spec: LimiterSpec, process?: number): Promise<RateLimiter>
  /** Close every connection opened. */
  close(): Promise<void>
}

const DAY = 86_400_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const isBucket = (a: AlgorithmName) => BUCKET_ALGORITHMS.includes(a)

/** Register the contract's tests for one store; `processes` decides how limiters are opened. */
export function rateLimitContract(
  storeName: string,
  makeProcesses: () => Promise<LimiterProcesses>,
  { processes = 1 } = {},
): void {
  describe.each(ALGORITHMS)(`RateLimiter contract (${storeName}): %s`, (algorithm) => {
    let procs: LimiterProcesses | undefined
    const open = async (spec: Omit<LimiterSpec, 'algorithm'>, process = 0) => {
      procs ??= await makeProcesses()
      return procs.open({ algorithm, ...spec }, process)
    }
    afterAll(async () => procs?.close())
    const key = () => `k-${uniqueId()}`

    it('starts with the whole capacity, and peek consumes nothing', async () => {
      const rl = await open({ limit: 10, periodMs: DAY })
      const k = key()
      const fresh = { allowed: true, remaining: 10, limit: 10, resetMs: 0, retryAfterMs: 0 }
      for (let i = 0; i < 3; i++) expect(await rl.peek(k)).toEqual(fresh)
      expect(await rl.peek(k, 10)).toEqual(fresh)
    })

    it('consumes costs down to zero, then denies with a retry time and consumes nothing', async () => {
      const rl = await open({ limit: 10, periodMs: DAY })
      const k = key()
      expect(await rl.consume(k, 3)).toMatchObject({
        allowed: true,
        remaining: 7,
        limit: 10,
        retryAfterMs: 0,
      })
      const second = await rl.consume(k)
      expect(second).toMatchObject({ allowed: true, remaining: 6 })
      expect(second.resetMs).toBeGreaterThan(0)
      expect(second.resetMs).toBeLessThanOrEqual(2 * DAY)
      expect(await rl.consume(k, 4)).toMatchObject({ allowed: true, remaining: 2 })
      const denied = await rl.consume(k, 3)
      expect(denied).toMatchObject({ allowed: false, remaining: 2, limit: 10 })
      expect(denied.retryAfterMs).toBeGreaterThan(0)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(2 * DAY)
      expect(await rl.peek(k, 3)).toMatchObject({ allowed: false, remaining: 2 })
      expect(await rl.peek(k, 2)).toMatchObject({ allowed: true, remaining: 2, retryAfterMs: 0 })
      expect(await rl.consume(k, 2)).toMatchObject({ allowed: true, remaining: 0 })
      expect(await rl.consume(k)).toMatchObject({ allowed: false, remaining: 0 })
    })

    it('keeps keys apart, and forgets a key on reset', async () => {
      const rl = await open({ limit: 2, periodMs: DAY })
      const [a, b] = [key(), key()]
      await rl.consume(a, 2)
      expect(await rl.consume(a)).toMatchObject({ allowed: false })
      expect(await rl.consume(b)).toMatchObject({ allowed: true, remaining: 1 })
      await rl.reset(a)
      expect(await rl.peek(a)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 })
    })

    it('refunds units, never beyond the capacity', async () => {
      const rl = await open({ limit: 5, periodMs: DAY })
      const k = key()
      expect(await rl.refund(k, 3)).toEqual({
        allowed: true,
        remaining: 5,
        limit: 5,
        resetMs: 0,
        retryAfterMs: 0,
      })
      await rl.consume(k, 5)
      expect(await rl.refund(k, 2)).toMatchObject({ allowed: true, remaining: 2, retryAfterMs: 0 })
      expect(await rl.consume(k, 2)).toMatchObject({ allowed: true, remaining: 0 })
      expect(await rl.consume(k)).toMatchObject({ allowed: false })
      await rl.refund(k, 1)
      expect(await rl.refund(k, 5)).toMatchObject({ remaining: 5, resetMs: 0 })
    })

    it('admits exactly the limit to many concurrent clients on one key', async () => {
      const limit = 50
      const limiters = await Promise.all(
        Array.from({ length: processes }, (_, p) => open({ limit, periodMs: DAY }, p)),
      )
      const k = key()
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => limiters[i % limiters.length]!.consume(k)),
      )
      expect(results.filter((r) => r.allowed)).toHaveLength(limit)
      expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true)
      // Each admission saw the state the previous one left (the Redis store decides a tick's
      // decisions in one script call: they must still be one after the other).
      const remaining = results.filter((r) => r.allowed).map((r) => r.remaining)
      expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: limit }, (_, i) => i))
      // Costs too: 50 / 3 = 16 requests of 3 fit, and 2 units stay unused.
      const k3 = key()
      const costly = await Promise.all(
        Array.from({ length: 60 }, (_, i) => limiters[i % limiters.length]!.consume(k3, 3)),
      )
      expect(costly.filter((r) => r.allowed)).toHaveLength(16)
      expect(await limiters[0]!.peek(k3)).toMatchObject({ remaining: 2 })
    })

    it('admits again once the period has passed, as the retry time said', async () => {
      const periodMs = 300
      const rl = await open({ limit: 2, periodMs })
      const k = key()
      await rl.consume(k, 2)
      const denied = await rl.consume(k)
      expect(denied.allowed).toBe(false)
      expect(denied.retryAfterMs).toBeGreaterThan(0)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(2 * periodMs)
      await sleep(denied.retryAfterMs + 20)
      expect(await rl.consume(k)).toMatchObject({ allowed: true })
      const last = await rl.peek(k)
      await sleep(last.resetMs + 20)
      expect(await rl.peek(k)).toEqual({ allowed: true, remaining: 2, limit: 2, resetMs: 0, retryAfterMs: 0 })
    })

    if (isBucket(algorithm)) {
      it('lets a burst through at once, then holds to the rate', async () => {
        const rl = await open({ limit: 1, periodMs: DAY, burst: 5 })
        const k = key()
        const results = await Promise.all(Array.from({ length: 8 }, () => rl.consume(k)))
        expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false, false])
        expect(results[7]).toMatchObject({ limit: 5, remaining: 0 })
        // One unit comes back per day: the retry time is about a day.
        expect(results[7]!.retryAfterMs).toBeGreaterThan(DAY - 60_000)
        expect(results[7]!.retryAfterMs).toBeLessThanOrEqual(DAY)
      })
    }

    it('refuses bad costs and keys with a RateLimitInputError, touching nothing', async () => {
      const rl = await open({ limit: 5, periodMs: DAY })
      const k = key()
      for (const cost of [
        0,
        -1,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        6,
        2 ** 60,
        '2' as unknown as number,
      ]) {
        for (const call of [rl.consume, rl.peek, rl.refund]) {
          await expect(call(k, cost)).rejects.toThrow(RateLimitInputError)
          await expect(call(k, cost)).rejects.toThrow(RangeError)
        }
      }
      for (const bad of ['', 'x'.repeat(1025), undefined as unknown as string, 7 as unknown as string]) {
        await expect(rl.consume(bad)).rejects.toMatchObject({ code: 'RATE_LIMIT_INVALID_KEY' })
        await expect(rl.reset(bad)).rejects.toMatchObject({ code: 'RATE_LIMIT_INVALID_KEY' })
      }
      expect(await rl.peek(k)).toMatchObject({ remaining: 5, resetMs: 0 })
    })
  })
}
