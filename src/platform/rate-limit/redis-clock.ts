/**
 * Where Redis's clock stands against this process's, so that a call can carry
 * a deadline in Redis time that its script checks (lua/lib/prelude.lib.lua).
 *
 * A sample is one `TIME`: sent at local t0, answered at t1, reading T. The
 * server read T somewhere between t0 and t1, so `T - t1` is a lower bound of
 * (Redis clock - local clock). A deadline built on a lower bound is never
 * later than the moment the caller gives up, whatever the round trip was:
 * a call that reaches Redis after its caller timed out never applies. The
 * cost of the bound is the other way round: a call that arrives up to one
 * sample's round trip before the caller's timeout may be refused too (it
 * then fails like a timeout, and nothing was applied either way).
 *
 * The local clock is monotonic (performance.now), so a wall-clock step here
 * changes nothing. Samples are taken every few seconds and the best of the
 * last 30 s kept, so one slow sample does not shorten every deadline; a
 * sample more than 1 s below that best (Redis's clock stepped back, or a
 * failover reached a server whose clock is behind) drops the older ones. A
 * step of Redis's clock moves deadlines by as much until the next sample.
 */
import type { Redis } from 'ioredis'

/** This process's monotonic clock in ms. */
const localNow = () => performance.timeOrigin + performance.now()

const SAMPLE_EVERY_MS = 5_000
const KEEP_SAMPLES_MS = 30_000
/** A sample this far below the best bound means Redis's clock stepped back: the old bounds are dropped. */
const STEP_MS = 1_000

interface Sample {
  /** Lower bound of (Redis ms - local ms). */
  readonly offset: number
  readonly at: number
}

export class RedisClock {
  private samples: Sample[] = []
  /** The largest offset of `samples`, kept as they change: deadline() reads it on every call. */
  private best: number | undefined
  private sampling: Promise<void> | undefined

  constructor(private readonly redis: Redis) {}

  /** The best lower bound known of (Redis ms - local ms), or undefined before the first sample. */
  get offset(): number | undefined {
    return this.best
  }

  /** Take one sample now (rejects when Redis does not answer). */
  sample(): Promise<void> {
    this.sampling ??= (async () => {
      const t0 = localNow()
      const [s, us] = (await this.redis.time()) as [string | number, string | number]
      const t1 = localNow()
      const redisMs = Number(s) * 1000 + Number(us) / 1000
      const offset = redisMs - t1
      // A clock that went back by more than a round trip can explain (a step, a failover to a
      // server whose clock is behind) makes the older, larger bounds wrong: start again from this one.
      if (this.best !== undefined && offset < this.best - STEP_MS) this.samples = []
      this.samples = this.samples.filter((x) => x.at > t1 - KEEP_SAMPLES_MS)
      this.samples.push({ offset, at: t0 })
      this.best = Math.max(...this.samples.map((x) => x.offset))
    })().finally(() => {
      this.sampling = undefined
    })
    return this.sampling
  }

  /**
   * The Redis-clock instant `timeoutMs` from now (rounded down): a call sent now and given up on
   * after `timeoutMs` must not run later. Synchronous once a sample exists (refreshed in the
   * background every few seconds); the first call waits for one.
   */
  deadline(timeoutMs: number): number | Promise<number> {
    const now = localNow()
    const last = this.samples[this.samples.length - 1]
    if (!last || now - last.at > SAMPLE_EVERY_MS) {
      const pending = this.sample()
      if (!last) return pending.then(() => this.deadline(timeoutMs))
      pending.catch(() => {}) // a failed refresh keeps the samples we have; the decision fails on its own
    }
    return Math.floor(now + timeoutMs + this.best!)
  }
}

const clocks = new WeakMap<Redis, RedisClock>()

/** The clock of a Redis client, shared by every store on it. */
export function redisClockOf(redis: Redis): RedisClock {
  let c = clocks.get(redis)
  if (!c) {
    c = new RedisClock(redis)
    clocks.set(redis, c)
  }
  return c
}
