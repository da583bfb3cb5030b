/**
 * Whether Redis is usable right now: a two-state breaker. The first failed
 * decision marks it down; from then on decisions go straight to their
 * fallback (no request waits for a timeout) while a probe PINGs Redis every
 * `retryMs`. The first PING that answers marks it up again and decisions go
 * back to Redis (the hand-back). Both transitions are logged once and counted.
 */
import type { Redis } from 'ioredis'
import type { Logger } from '../../platform/telemetry/logger.js'

export class StoreHealth {
  private up = true
  private timer: NodeJS.Timeout | undefined
  private closed = false
  /** How many times Redis was given up on, and handed back to. */
  outages = 0
  recoveries = 0

  constructor(
    private readonly redis: Redis,
    private readonly retryMs: number,
    private readonly log: Logger,
    private readonly onRecover: () => void,
  ) {}

  /** Whether decisions should go to Redis. */
  get isUp(): boolean {
    return this.up
  }

  /** A Redis call failed: fall back until a probe succeeds. */
  failed(err: unknown): void {
    if (!this.up || this.closed) return
    this.up = false
    this.outages++
    this.log.warn(
      { err },
      'rate limiter: Redis unavailable; decisions use each rule failure_mode until it answers',
    )
    this.schedule()
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.probe(), this.retryMs)
    this.timer.unref()
  }

  private async probe(): Promise<void> {
    if (this.closed) return
    try {
      await this.redis.ping()
      this.up = true
      this.recoveries++
      this.onRecover()
      this.log.info('rate limiter: Redis is back; decisions use it again')
    } catch {
      this.schedule()
    }
  }

  /** Stop probing (shutdown). */
  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
  }
}
