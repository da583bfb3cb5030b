/**
 * Metrics per descriptor (rule id, as Envoy's service names its stats):
 * decisions by outcome, store errors, fallback decisions and decision
 * latency. Counts are plain numbers on the hot path, turned into Prometheus
 * series only when /metrics is scraped. They are kept by rule id, so a
 * config reload does not reset them. Requests that match no rule are counted
 * by reason, with the domain only when it is configured (a client cannot
 * mint label values).
 */

import { FastHistogram, type HistogramSeries } from '../../platform/telemetry/fast-histogram.js'
import { Counter, Gauge, type Registry } from '../../platform/telemetry/metrics.js'
import type { DecisionSource } from './limiters.js'

export type Outcome = 'allowed' | 'limited' | 'shadow_limited' | 'unlimited'

/** The counters of one rule id. */
export class RuleStats {
  allowed = 0
  limited = 0
  shadowLimited = 0
  unlimited = 0
  storeErrors = 0
  /** Decisions taken by a fallback, by source. */
  insurance = 0
  failOpen = 0
  failClosed = 0

  constructor(
    readonly id: string,
    readonly domain: string,
    readonly latency: HistogramSeries,
  ) {}

  /** Count one decision. */
  count(outcome: Outcome, source: DecisionSource, storeError: boolean): void {
    if (outcome === 'allowed') this.allowed++
    else if (outcome === 'limited') this.limited++
    else if (outcome === 'shadow_limited') this.shadowLimited++
    else this.unlimited++
    if (storeError) this.storeErrors++
    if (source === 'insurance') this.insurance++
    else if (source === 'open') this.failOpen++
    else if (source === 'closed') this.failClosed++
  }
}

/** Decision latency buckets in seconds: 50 µs (memory) to 1 s (a struggling Redis). */
const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1]
/** Rule-id series kept at most (detailed_metric adds one per value). */
const MAX_SERIES = 10_000

export class RateLimiterMetrics {
  private readonly rules = new Map<string, RuleStats>()
  private readonly latency: FastHistogram
  readonly unmatched = new Map<string, number>()
  reloads = { ok: 0, error: 0 }
  /** Requests answered OK only because of RATE_LIMITER_SHADOW_MODE (Envoy's global_shadow_mode stat). */
  globalShadow = 0

  constructor(registry: Registry, storeUp: () => number, instances: () => number = () => 1) {
    this.latency = new FastHistogram(
      'rate_limiter_decision_duration_seconds',
      'Time to decide one descriptor, by rule',
      BUCKETS,
      registry,
    )
    const rules = this.rules
    const field = (name: string, help: string, labelNames: string[], fill: (c: Counter<string>) => void) =>
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset()
          fill(this)
        },
      })
    field(
      'rate_limiter_decisions_total',
      'Descriptor decisions by rule and outcome (allowed, limited, shadow_limited, unlimited)',
      ['domain', 'descriptor', 'outcome'],
      (c) => {
        for (const s of rules.values()) {
          const l = { domain: s.domain, descriptor: s.id }
          if (s.allowed) c.inc({ ...l, outcome: 'allowed' }, s.allowed)
          if (s.limited) c.inc({ ...l, outcome: 'limited' }, s.limited)
          if (s.shadowLimited) c.inc({ ...l, outcome: 'shadow_limited' }, s.shadowLimited)
          if (s.unlimited) c.inc({ ...l, outcome: 'unlimited' }, s.unlimited)
        }
      },
    )
    field(
      'rate_limiter_store_errors_total',
      'Redis calls that failed, by rule',
      ['domain', 'descriptor'],
      (c) => {
        for (const s of rules.values())
          if (s.storeErrors) c.inc({ domain: s.domain, descriptor: s.id }, s.storeErrors)
      },
    )
    field(
      'rate_limiter_fallback_decisions_total',
      'Decisions taken without Redis, by rule and failure mode (insurance, open, closed)',
      ['domain', 'descriptor', 'mode'],
      (c) => {
        for (const s of rules.values()) {
          const l = { domain: s.domain, descriptor: s.id }
          if (s.insurance) c.inc({ ...l, mode: 'insurance' }, s.insurance)
          if (s.failOpen) c.inc({ ...l, mode: 'open' }, s.failOpen)
          if (s.failClosed) c.inc({ ...l, mode: 'closed' }, s.failClosed)
        }
      },
    )
    const unmatched = this.unmatched
    field(
      'rate_limiter_unmatched_total',
      'Descriptors that matched no rule (not limited, as in Envoy): reason unknown_domain or no_rule',
      ['domain', 'reason'],
      (c) => {
        for (const [k, n] of unmatched) {
          const [domain, reason] = k.split('\u0000') as [string, string]
          c.inc({ domain, reason }, n)
        }
      },
    )
    const reloads = this.reloads
    field(
      'rate_limiter_config_reloads_total',
      'Configuration loads by result (ok, error)',
      ['result'],
      (c) => {
        c.inc({ result: 'ok' }, reloads.ok)
        c.inc({ result: 'error' }, reloads.error)
      },
    )
    const counts = this
    new Counter({
      name: 'rate_limiter_global_shadow_total',
      help: 'Requests over the limit answered OK because of RATE_LIMITER_SHADOW_MODE',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(counts.globalShadow)
      },
    })
    new Gauge({
      name: 'rate_limiter_instances',
      help: 'Processes sharing the limits as this one counts them (live heartbeats, at least RATE_LIMITER_INSTANCES): the insurance limiters divide by it',
      registers: [registry],
      collect() {
        this.set(instances())
      },
    })
    new Gauge({
      name: 'rate_limiter_store_up',
      help: '1 while decisions go to Redis, 0 while the failure modes decide (no Redis configured: 1)',
      registers: [registry],
      collect() {
        this.set(storeUp())
      },
    })
  }

  /** The stats of rule `id` of `domain` (created on first use). */
  rule(id: string, domain: string): RuleStats {
    let s = this.rules.get(id)
    if (!s) {
      if (this.rules.size >= MAX_SERIES) return this.rule(`${domain}._other`, domain)
      s = new RuleStats(id, domain, this.latency.series({ domain, descriptor: id }))
      this.rules.set(id, s)
    }
    return s
  }

  /** Count a descriptor that matched no rule; `domain` must be a configured one or '' (unknown). */
  noMatch(domain: string, reason: 'unknown_domain' | 'no_rule'): void {
    const k = `${domain}\u0000${reason}`
    this.unmatched.set(k, (this.unmatched.get(k) ?? 0) + 1)
  }

  /** Every rule's counters (the console's live view). */
  all(): RuleStats[] {
    return [...this.rules.values()]
  }
}
