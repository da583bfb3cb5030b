/**
 * Limiters for rules, and what happens when their store fails.
 *
 * One RateLimiter serves every rule with the same algorithm and limits: the
 * key (domain + descriptor entries) keeps their states apart. Limiters are
 * kept across config reloads, so an unchanged rule keeps its counts. On
 * Redis the state of a key lives under `<algorithm>:<periodMs>` whatever the
 * limit, so even a changed limit carries the count over (as Envoy's service
 * does); the memory store shares its state the same way (createMemoryState).
 *
 * With Redis, a failed call marks the store down (StoreHealth) and the rule's
 * `failure_mode` decides until Redis answers again:
 * - `insurance`: an in-memory limiter of the same algorithm decides, with the
 *   limit divided by the number of processes (instances.ts: learned live
 *   from heartbeats in Redis, at least RATE_LIMITER_INSTANCES), so each
 *   process admits its share;
 * - `open`: admit; `closed`: deny.
 */
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import {
  createMemoryState,
  createRateLimiter,
  type MemoryState,
  type RateLimiter,
  type RateLimitResult,
} from '../../platform/rate-limit/index.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { Rule } from './config-model.js'
import { StoreHealth } from './store-health.js'

/** Which store (or fallback) made a decision. */
export type DecisionSource = 'store' | 'insurance' | 'open' | 'closed'

export interface Decision {
  readonly result: RateLimitResult
  readonly source: DecisionSource
  /** The store failed on this very call (counted as a store error). */
  readonly storeError: boolean
}

/** The limits a limiter is built from: a rule's, or an Envoy limit override's. */
export interface LimitSpec {
  readonly algorithm: Rule['algorithm']
  readonly requestsPerUnit: number
  readonly periodMs: number
  readonly burst: number | undefined
  readonly failureMode: Rule['failureMode']
}

export interface LimiterPoolOptions {
  /** Shared Redis (decisions exact across processes); undefined: this process's memory. */
  redis?: Redis
  /** Processes sharing the limits (a number, or read at each outage): each one's insurance limiter admits 1/instances. */
  instances: number | (() => number)
  retryMs: number
  log: Logger
  /** Limiters kept (distinct algorithm/limit/period combinations); config rules plus overrides. */
  max?: number
}

const specKey = (s: LimitSpec) => `${s.algorithm}:${s.requestsPerUnit}:${s.periodMs}:${s.burst ?? ''}`

export class LimiterPool {
  private readonly primary: LRUCache<string, RateLimiter>
  private readonly insurance: LRUCache<string, RateLimiter>
  readonly health: StoreHealth | undefined
  /** Memory state per `<algorithm>:<periodMs>`, shared by limiters whose limits differ (kept across reloads). */
  private readonly states = new Map<string, MemoryState>()

  constructor(private readonly opts: LimiterPoolOptions) {
    const max = opts.max ?? 10_000
    this.primary = new LRUCache({ max })
    this.insurance = new LRUCache({ max })
    this.health = opts.redis
      ? new StoreHealth(opts.redis, opts.retryMs, opts.log, () => this.insurance.clear())
      : undefined
  }

  /** Whether decisions are shared through Redis. */
  get shared(): boolean {
    return this.opts.redis !== undefined
  }

  /** The limiter of the primary store for `spec`. */
  limiter(spec: LimitSpec): RateLimiter {
    const k = specKey(spec)
    let l = this.primary.get(k)
    if (!l) {
      const base = {
        algorithm: spec.algorithm,
        limit: spec.requestsPerUnit,
        periodMs: spec.periodMs,
        burst: spec.burst,
      }
      l = this.opts.redis
        ? createRateLimiter({
            ...base,
            store: { redis: this.opts.redis, namespace: `${spec.algorithm}:${spec.periodMs}` },
          })
        : createRateLimiter({ ...base, store: { memory: this.stateFor(spec) }, maxKeys: 1_000_000 })
      this.primary.set(k, l)
    }
    return l
  }

  private stateFor(spec: LimitSpec): MemoryState {
    const k = `${spec.algorithm}:${spec.periodMs}`
    let s = this.states.get(k)
    if (!s) {
      s = createMemoryState()
      this.states.set(k, s)
    }
    return s
  }

  private insuranceFor(spec: LimitSpec): RateLimiter {
    const n = typeof this.opts.instances === 'number' ? this.opts.instances : this.opts.instances()
    const k = `${specKey(spec)}/${n}`
    let l = this.insurance.get(k)
    if (!l) {
      l = createRateLimiter({
        algorithm: spec.algorithm,
        limit: Math.max(1, Math.ceil(spec.requestsPerUnit / n)),
        periodMs: spec.periodMs,
        burst: spec.burst === undefined ? undefined : Math.max(1, Math.ceil(spec.burst / n)),
        store: 'memory',
        maxKeys: 1_000_000,
      })
      this.insurance.set(k, l)
    }
    return l
  }

  /** Consume `cost` from `key` under `spec`, falling back as the spec says when the store fails. */
  async consume(spec: LimitSpec, key: string, cost: number): Promise<Decision> {
    const health = this.health
    if (health && !health.isUp) return this.fallback(spec, key, cost, false)
    try {
      return { result: await this.limiter(spec).consume(key, cost), source: 'store', storeError: false }
    } catch (err) {
      if (!health) throw err
      health.failed(err)
      return this.fallback(spec, key, cost, true)
    }
  }

  private async fallback(spec: LimitSpec, key: string, cost: number, storeError: boolean): Promise<Decision> {
    const mode = spec.failureMode
    if (mode === 'insurance') {
      const l = this.insuranceFor(spec)
      // The share can be smaller than the cost: then the request is over this process's share.
      if (cost <= l.limits.burst)
        return { result: await l.consume(key, cost), source: 'insurance', storeError }
    }
    const capacity = spec.burst ?? spec.requestsPerUnit
    const allowed = mode === 'open'
    return {
      result: {
        allowed,
        remaining: allowed ? capacity : 0,
        limit: capacity,
        resetMs: 0,
        retryAfterMs: allowed ? 0 : this.opts.retryMs,
      },
      source: mode === 'insurance' ? 'closed' : mode,
      storeError,
    }
  }

  /** Give back `cost` taken by a decision from `source`; undefined when there is nothing to give back or the store failed. */
  async refund(
    spec: LimitSpec,
    key: string,
    cost: number,
    source: DecisionSource,
  ): Promise<RateLimitResult | undefined> {
    try {
      if (source === 'store') return await this.limiter(spec).refund(key, cost)
      if (source === 'insurance') return await this.insuranceFor(spec).refund(key, cost)
    } catch (err) {
      this.health?.failed(err)
    }
    return undefined
  }

  /** What `consume(key, 1)` would decide now, from the primary store (errors propagate). */
  peek(spec: LimitSpec, key: string): Promise<RateLimitResult> {
    return this.limiter(spec).peek(key, 1)
  }

  /** What `key` looks like now under `spec`, from whichever store decides now; undefined when that fails. */
  async peekQuietly(spec: LimitSpec, key: string): Promise<RateLimitResult | undefined> {
    try {
      if (this.health && !this.health.isUp)
        return spec.failureMode === 'insurance' ? await this.insuranceFor(spec).peek(key, 1) : undefined
      return await this.limiter(spec).peek(key, 1)
    } catch (err) {
      this.health?.failed(err)
      return undefined
    }
  }

  /** Forget `key` under `spec` in the primary store and the insurance limiter. */
  async reset(spec: LimitSpec, key: string): Promise<void> {
    for (const [k, l] of this.insurance.entries()) if (k.startsWith(`${specKey(spec)}/`)) await l.reset(key)
    await this.limiter(spec).reset(key)
  }

  close(): void {
    this.health?.close()
  }
}
