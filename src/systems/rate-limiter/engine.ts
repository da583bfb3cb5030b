/**
 * ShouldRateLimit: one request, many descriptors, one answer. The protocol
 * adapters (gRPC, JSON over HTTP) validate and normalise a request into a
 * `RateLimitRequest` and render the `RateLimitResponse`; this file decides.
 *
 * As in envoyproxy/ratelimit (service/ratelimit.go):
 * - each descriptor is matched to its rule; an Envoy limit override on the
 *   descriptor replaces the configured numbers;
 * - a matched rule named in another matched rule's `replaces` is skipped;
 * - `unlimited` is OK with limitRemaining 2^32-1; `requests_per_unit: 0`
 *   blocks everything; no rule is OK without a current limit;
 * - a rule in `shadow_mode` answers OK and counts `shadow_limited`;
 * - the overall code is OVER_LIMIT if any descriptor is, except descriptors
 *   in `quota_mode` (or all, in RATE_LIMITER_QUOTA_MODE), which refuse only
 *   when every quota descriptor of the request is over; the whole service in
 *   RATE_LIMITER_SHADOW_MODE answers OK overall, the statuses unchanged;
 * - the descriptors that admitted a refused request keep its hits (Envoy's
 *   default); RATE_LIMITER_STOP_INCREMENT_WHEN_OVER_LIMIT gives them back.
 * Unlike it, the descriptor that is over the limit is not charged (over-limit
 * traffic does not push the reset further away), and every algorithm of the
 * library can be chosen.
 */
import { createHash } from 'node:crypto'
import type { RateLimitResult } from '../../platform/rate-limit/index.js'
import { MAX_KEY_LENGTH } from '../../platform/rate-limit/validate.js'
import type { RateLimiterConfig, Rule, Unit } from './config-model.js'
import { UNIT_SECONDS } from './config-model.js'
import { dynamicMetadata } from './dynamic-metadata.js'
import type { Decision, LimiterPool, LimitSpec } from './limiters.js'
import { type Entry, match, sharedValue, statsName } from './matcher.js'
import type { RateLimiterMetrics } from './metrics.js'

export type Code = 'OK' | 'OVER_LIMIT'

export interface RequestDescriptor {
  readonly entries: readonly Entry[]
  /** Envoy's per-descriptor limit override. */
  readonly limit?: { readonly requestsPerUnit: number; readonly unit: Unit }
  /** Per-descriptor hits, overriding the request's. */
  readonly hitsAddend?: number
}

export interface RateLimitRequest {
  readonly domain: string
  readonly descriptors: readonly RequestDescriptor[]
  /** Hits this request adds (0 or absent: 1). */
  readonly hitsAddend: number
}

export interface DescriptorStatus {
  code: Code
  currentLimit?: { requestsPerUnit: number; unit: Unit; name?: string }
  limitRemaining: number
  /** Allowed: until the limit is whole again; over the limit: until a request of this cost would pass. */
  durationUntilResetMs: number
  /** Extras for our own clients (JSON, console, plugin); not in Envoy's proto. */
  rule?: string
  limit?: number
  periodMs?: number
  shadow?: boolean
}

export interface RateLimitResponse {
  overallCode: Code
  statuses: DescriptorStatus[]
  /** RATE_LIMITER_RESPONSE_DYNAMIC_METADATA: see dynamic-metadata.ts. */
  dynamicMetadata?: Record<string, unknown>
}

/** Service-wide switches, each the twin of one of envoyproxy/ratelimit's settings. */
export interface EngineOptions {
  /** Answer OK overall whatever the descriptors say (SHADOW_MODE). */
  globalShadow?: boolean
  /** Every descriptor in quota mode (QUOTA_MODE). */
  globalQuota?: boolean
  /** A refused request takes nothing from the descriptors that admitted it (STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT). */
  stopIncrementWhenOverLimit?: boolean
  /** Fill the response's dynamic metadata (RESPONSE_DYNAMIC_METADATA). */
  dynamicMetadata?: boolean
}

export const UINT32_MAX = 4_294_967_295
/** Envoy's own cap on hits_addend; more is a client bug. */
export const MAX_HITS = 1_000_000_000

const enc = (s: string) => encodeURIComponent(s)

/** The state key of a descriptor: its domain and entries (hashed when too long for the store). */
export function stateKey(domain: string, entries: readonly Entry[]): string {
  let k = enc(domain)
  for (const e of entries) k += `|${enc(e.key)}=${enc(e.value)}`
  return k.length <= MAX_KEY_LENGTH
    ? k
    : `${enc(domain)}|#${createHash('sha256').update(k).digest('base64url')}`
}

interface Planned {
  rule: Rule | undefined
  spec: LimitSpec | undefined
  statsId: string
  /** The state key: domain and entries, a shared wildcard standing for its values. */
  key: string
}

/** What an admitted descriptor took, so it can be given back if the request is refused as a whole. */
interface Taken {
  spec: LimitSpec
  key: string
  hits: number
  source: Decision['source']
}

interface Decided {
  status: DescriptorStatus
  taken?: Taken
}

const NOT_LIMITED: Decided = { status: { code: 'OK', limitRemaining: 0, durationUntilResetMs: 0 } }

export class RateLimitEngine {
  constructor(
    private readonly pool: LimiterPool,
    private readonly metrics: RateLimiterMetrics,
    private readonly config: () => RateLimiterConfig,
    private readonly opts: EngineOptions = {},
  ) {}

  /** Decide a whole request. */
  async shouldRateLimit(req: RateLimitRequest): Promise<RateLimitResponse> {
    const config = this.config() // one config for the whole request, even if a reload lands meanwhile
    const plans = req.descriptors.map((d) => this.plan(config, req.domain, d))
    const replaced = new Set<string>()
    for (const p of plans) if (p.rule) for (const n of p.rule.replaces) replaced.add(n)
    const active = plans.map((p) => (p.rule?.name !== undefined && replaced.has(p.rule.name) ? undefined : p))
    const decided = await Promise.all(
      req.descriptors.map((d, i) => {
        const p = active[i]
        return p ? this.decide(req, d, p) : { status: { ...NOT_LIMITED.status } }
      }),
    )
    // As envoyproxy/ratelimit: quota descriptors refuse only together; the others each on their own.
    let failedRate = 0
    let failedQuota = 0
    let quota = 0
    const passed: Readonly<Record<string, unknown>>[] = []
    decided.forEach((d, i) => {
      const rule = active[i]?.rule
      if (rule?.unlimited) return
      const isQuota = rule !== undefined && (this.opts.globalQuota || rule.quotaMode)
      if (isQuota) quota++
      if (d.status.code === 'OVER_LIMIT') isQuota ? failedQuota++ : failedRate++
      else if (rule?.metadata) passed.push(rule.metadata)
    })
    let overallCode: Code = failedRate > 0 || (quota > 0 && failedQuota === quota) ? 'OVER_LIMIT' : 'OK'
    if (overallCode === 'OVER_LIMIT' && this.opts.globalShadow) {
      overallCode = 'OK'
      this.metrics.globalShadow++
    }
    if (overallCode === 'OVER_LIMIT' && this.opts.stopIncrementWhenOverLimit) await this.giveBack(decided)
    const res: RateLimitResponse = { overallCode, statuses: decided.map((d) => d.status) }
    if (this.opts.dynamicMetadata) res.dynamicMetadata = dynamicMetadata(req, passed)
    return res
  }

  /**
   * RATE_LIMITER_STOP_INCREMENT_WHEN_OVER_LIMIT: a refused request takes nothing, the descriptors
   * that admitted it get their hits back. By default they keep them, as envoyproxy/ratelimit does
   * (its issue #1060: a user over their own limit drains a shared limit); with the option a tenant
   * stopped by its own limit cannot eat the global one.
   */
  private async giveBack(decided: Decided[]): Promise<void> {
    await Promise.all(
      decided.map(async (d) => {
        if (!d.taken) return
        const r = await this.pool.refund(d.taken.spec, d.taken.key, d.taken.hits, d.taken.source)
        if (r) d.status.limitRemaining = r.remaining
      }),
    )
  }

  private plan(config: RateLimiterConfig, domain: string, d: RequestDescriptor): Planned {
    const m = match(config, domain, d.entries)
    if (m.kind !== 'rule') {
      this.metrics.noMatch(m.kind === 'unknown_domain' ? '' : domain, m.kind)
      if (!d.limit || m.kind === 'unknown_domain')
        return { rule: undefined, spec: undefined, statsId: '', key: '' }
    }
    const rule = m.kind === 'rule' ? m.rule : undefined
    // The hot path: without these flags the metric name is the rule id and the state key the entries.
    let shared = false
    let named = m.kind === 'rule' && m.rule.detailedMetric
    if (m.kind === 'rule')
      for (const step of m.path) {
        if (step.how === 'wildcard' && step.node.shareThreshold) shared = named = true
        if (step.node.valueToMetric) named = true
      }
    const statsId =
      m.kind !== 'rule'
        ? `${domain}._override`
        : named
          ? statsName(domain, d.entries, m.rule, m.path)
          : m.rule.id
    // share_threshold: every value matching the wildcard counts against one state.
    const entries =
      m.kind === 'rule' && shared && !d.limit
        ? d.entries.map((e, i) => ({ key: e.key, value: sharedValue(e, m.path[i]!) }))
        : d.entries
    const key = stateKey(domain, entries)
    if (d.limit) {
      // Envoy's override: the numbers come from the request, the algorithm and failure mode from the rule.
      const spec: LimitSpec = {
        algorithm: rule?.algorithm ?? 'fixed-window',
        requestsPerUnit: d.limit.requestsPerUnit,
        periodMs: UNIT_SECONDS[d.limit.unit] * 1000,
        burst: undefined,
        failureMode: rule?.failureMode ?? 'insurance',
      }
      const overridden: Rule = {
        ...(rule ?? this.overrideRule(domain)),
        unlimited: false,
        requestsPerUnit: spec.requestsPerUnit,
        unit: d.limit.unit,
        unitMultiplier: 1,
        periodMs: spec.periodMs,
        algorithm: spec.algorithm,
        burst: undefined,
        shadowMode: false, // as in Envoy: an override is never in shadow mode nor in quota mode
        quotaMode: false,
        metadata: undefined,
      }
      return { rule: overridden, spec, statsId, key }
    }
    return { rule, spec: rule, statsId, key }
  }

  private overrideRule(domain: string): Rule {
    return {
      id: `${domain}._override`,
      domain,
      unlimited: false,
      requestsPerUnit: 0,
      unit: 'SECOND',
      unitMultiplier: 1,
      periodMs: 1000,
      algorithm: 'fixed-window',
      burst: undefined,
      name: undefined,
      replaces: [],
      shadowMode: false,
      quotaMode: false,
      metadata: undefined,
      failureMode: 'insurance',
      detailedMetric: false,
    }
  }

  private async decide(req: RateLimitRequest, d: RequestDescriptor, p: Planned): Promise<Decided> {
    const { rule, spec } = p
    if (!rule || !spec) return { status: { ...NOT_LIMITED.status } }
    const stats = this.metrics.rule(p.statsId, rule.domain)
    if (rule.unlimited) {
      stats.count('unlimited', 'store', false)
      return { status: { code: 'OK', limitRemaining: UINT32_MAX, durationUntilResetMs: 0, rule: rule.id } }
    }
    const key = p.key
    const started = performance.now()
    const hits = d.hitsAddend || req.hitsAddend || 1
    const capacity = spec.burst ?? spec.requestsPerUnit
    let decision: Decision
    if (hits > capacity) decision = await this.neverFits(spec, key, capacity)
    else decision = await this.pool.consume(spec, key, hits)
    stats.latency.observe((performance.now() - started) / 1000)
    const shadow = !decision.result.allowed && rule.shadowMode
    stats.count(
      decision.result.allowed ? 'allowed' : shadow ? 'shadow_limited' : 'limited',
      decision.source,
      decision.storeError,
    )
    const status = this.status(rule, decision.result, shadow)
    const consumed =
      decision.result.allowed && (decision.source === 'store' || decision.source === 'insurance')
    return consumed ? { status, taken: { spec, key, hits, source: decision.source } } : { status }
  }

  /**
   * More hits than the capacity: over the limit whatever the state, and waiting does not help. The
   * answer shows the key's real state (its remaining units, the time until it is whole again: 0 on a
   * fresh key), consuming nothing; `requests_per_unit: 0` has no state and refuses for a period.
   */
  private async neverFits(spec: LimitSpec, key: string, capacity: number): Promise<Decision> {
    const refused = (remaining: number, resetMs: number): Decision => ({
      result: { allowed: false, remaining, limit: capacity, resetMs, retryAfterMs: resetMs },
      source: 'store',
      storeError: false,
    })
    if (capacity === 0) return refused(0, spec.periodMs)
    const now = await this.pool.peekQuietly(spec, key)
    return now ? refused(now.remaining, now.resetMs) : refused(0, spec.periodMs)
  }

  private status(rule: Rule, r: RateLimitResult, shadow: boolean): DescriptorStatus {
    const s: DescriptorStatus = {
      code: r.allowed || shadow ? 'OK' : 'OVER_LIMIT',
      currentLimit: { requestsPerUnit: rule.requestsPerUnit, unit: rule.unit },
      limitRemaining: r.remaining,
      durationUntilResetMs: r.allowed ? r.resetMs : r.retryAfterMs,
      rule: rule.id,
      limit: r.limit,
      periodMs: rule.periodMs,
    }
    if (rule.name !== undefined) s.currentLimit!.name = rule.name
    if (shadow) s.shadow = true
    return s
  }

  /** The rule a descriptor of `domain` falls under and its current state (admin), consuming nothing. */
  async inspect(domain: string, entries: readonly Entry[]) {
    const config = this.config()
    const m = match(config, domain, entries)
    if (m.kind !== 'rule') return { match: m.kind }
    const p = this.plan(config, domain, { entries })
    const rule = m.rule
    if (rule.unlimited || rule.requestsPerUnit === 0) return { match: 'rule' as const, rule }
    return { match: 'rule' as const, rule, key: p.key, state: await this.pool.peek(rule, p.key) }
  }

  /** Forget the state of one descriptor (admin). Returns false when it matches no limited rule. */
  async reset(domain: string, entries: readonly Entry[]): Promise<boolean> {
    const p = this.plan(this.config(), domain, { entries })
    if (!p.rule || p.rule.unlimited || p.rule.requestsPerUnit === 0) return false
    await this.pool.reset(p.rule, p.key)
    return true
  }
}
