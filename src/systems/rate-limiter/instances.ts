/**
 * How many rate limiter processes share the limits, learned live: while
 * Redis is down each process's insurance limiter admits `limit / count`, so
 * the count must follow the autoscaler, not a number fixed in a manifest.
 *
 * Every process beats every `intervalMs` into one Redis sorted set
 * (lua/heartbeat-1.lua: its id scored by Redis TIME, entries older than
 * `ttlMs` dropped, the live count returned). The count used is the larger of
 * the last count seen and the static RATE_LIMITER_INSTANCES, the floor. A
 * beat that fails (Redis down) changes nothing: the last count seen is kept
 * for the whole outage, which is exactly when the insurance limiters divide
 * by it. A process that starts during an outage has seen nothing and uses
 * the floor; the README gives the bound that leaves.
 */
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { loadScripts, runScript } from '../../platform/redis/scripts.js'
import type { Logger } from '../../platform/telemetry/logger.js'

const HEARTBEAT = loadScripts(new URL('./lua/', import.meta.url)).get('heartbeat')!
export const INSTANCES_KEY = 'rl:instances'

export interface InstanceCountOptions {
  /** Shared Redis; without it the count is the floor. */
  redis?: Redis
  /** RATE_LIMITER_INSTANCES: never count fewer. */
  floor: number
  intervalMs: number
  /** A process not heard from for this long no longer counts (a few intervals). */
  ttlMs: number
  log: Logger
}

export class InstanceCount {
  /** This process's id in the set. */
  readonly id = randomUUID()
  private seen = 0
  private timer: NodeJS.Timeout | undefined
  private beating: Promise<void> | undefined
  private stopped = false

  constructor(private readonly opts: InstanceCountOptions) {}

  /** The count insurance limiters divide by: the last live count seen, at least the floor. */
  get current(): number {
    return Math.max(this.opts.floor, this.seen)
  }

  /** The last live count Redis answered (0 before the first). */
  get lastSeen(): number {
    return this.seen
  }

  /** Beat once now (returns when Redis answered or failed), then every interval. */
  async start(): Promise<void> {
    if (!this.opts.redis) return
    await this.beat()
    // Stopped during that first beat: arming now would put this process back after it left.
    if (this.stopped) return
    // A beat still running when the next is due is shared (beat), so an interval cannot pile them up.
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs).unref()
  }

  /** One heartbeat; a failure keeps the last count seen. */
  beat(): Promise<void> {
    const redis = this.opts.redis
    if (!redis) return Promise.resolve()
    this.beating ??= runScript<number>(redis, HEARTBEAT, [INSTANCES_KEY], [this.id, this.opts.ttlMs])
      .then((n) => {
        if (n !== this.seen) this.opts.log.info({ instances: n }, 'rate limiter: live process count changed')
        this.seen = n
      })
      .catch(() => {
        // Redis is away: keep the last count seen (StoreHealth logs the outage itself).
      })
      .finally(() => {
        this.beating = undefined
      })
    return this.beating
  }

  /** Stop beating and leave the set, so the others stop counting this process at once. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.beating
    await this.opts.redis?.zrem(INSTANCES_KEY, this.id).catch(() => {})
  }
}
