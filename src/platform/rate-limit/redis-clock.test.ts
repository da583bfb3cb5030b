/** The Redis clock offset: a lower bound from TIME samples, the best kept, a step back honoured. */
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisClock } from './redis-clock.js'

/**
 * A fake client whose TIME reads this process's clock plus `skew` ms, as read `lag` ms before it
 * answers (a slow round trip), answering after `delay` ms.
 */
function fakeRedis(state: { skew: number; delay: number; lag?: number }): Redis {
  return {
    async time() {
      const now = performance.timeOrigin + performance.now() + state.skew - (state.lag ?? 0)
      await new Promise((r) => setTimeout(r, state.delay))
      return [String(Math.floor(now / 1000)), String(Math.floor((now % 1000) * 1000))]
    },
  } as unknown as Redis
}

describe('RedisClock', () => {
  it('never places a deadline after the caller gives up, whatever the round trip', async () => {
    const state = { skew: 50_000, delay: 30 }
    const clock = new RedisClock(fakeRedis(state))
    await clock.sample()
    // A lower bound: TIME was read before the answer came back.
    expect(clock.offset!).toBeLessThanOrEqual(50_000)
    const deadline = await clock.deadline(250)
    const after = performance.timeOrigin + performance.now()
    // So the deadline is never later, in Redis time, than the moment the caller gives up.
    expect(deadline).toBeLessThanOrEqual(after + 250 + 50_000)
  })

  it('keeps the best bound of recent samples, and starts again when Redis steps back', async () => {
    const state: { skew: number; delay: number; lag?: number } = { skew: 10_000, delay: 0 }
    const clock = new RedisClock(fakeRedis(state))
    await clock.sample()
    const good = clock.offset!
    state.lag = 500 // a slow round trip gives a lower bound: the better one stays
    await clock.sample()
    expect(clock.offset).toBe(good)
    state.skew = 0 // Redis's clock 10 s back (a failover, a step)
    state.lag = 0
    await clock.sample()
    expect(clock.offset!).toBeLessThanOrEqual(0)
  })
})
