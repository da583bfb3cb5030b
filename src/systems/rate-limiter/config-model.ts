/**
 * The configuration once loaded: the descriptor trees of the domains and the
 * rules they apply, the units Envoy's service knows, and the error a
 * configuration that cannot be loaded throws. Parsing is config.ts, the
 * checks of one domain config-domain.ts.
 */
import type { AlgorithmName } from '../../platform/rate-limit/index.js'
import { ConfigError } from '../../platform/settings.js'

/** The units of RateLimitResponse.RateLimit.Unit, with their length as Envoy's service counts it. */
export const UNIT_SECONDS = {
  SECOND: 1,
  MINUTE: 60,
  HOUR: 3_600,
  DAY: 86_400,
  WEEK: 7 * 86_400,
  MONTH: 30 * 86_400,
  YEAR: 365 * 86_400,
} as const
export type Unit = keyof typeof UNIT_SECONDS

/** The proto's enum numbers of RateLimitUnit (WEEK came last, as 7). */
export const UNIT_NUMBERS: Readonly<Record<number, Unit>> = {
  1: 'SECOND',
  2: 'MINUTE',
  3: 'HOUR',
  4: 'DAY',
  5: 'MONTH',
  6: 'YEAR',
  7: 'WEEK',
}

export type FailureMode = 'insurance' | 'open' | 'closed'

/** What a matched descriptor applies. */
export interface Rule {
  /** `<domain>.<key>_<value>.<key>`: the metric label and the id in admin answers. */
  readonly id: string
  readonly domain: string
  /** Never limited (and never counted against a store). */
  readonly unlimited: boolean
  readonly requestsPerUnit: number
  readonly unit: Unit
  readonly unitMultiplier: number
  readonly periodMs: number
  readonly algorithm: AlgorithmName
  /** Capacity of the bucket algorithms (default requestsPerUnit). */
  readonly burst: number | undefined
  readonly name: string | undefined
  readonly replaces: readonly string[]
  readonly shadowMode: boolean
  /** Over the limit refuses the request only when every quota-mode descriptor of it is over (Envoy's `quota_mode`). */
  readonly quotaMode: boolean
  /** Returned in the response's dynamic metadata when the descriptor passes (Envoy's `metadata`). */
  readonly metadata: Readonly<Record<string, unknown>> | undefined
  readonly failureMode: FailureMode
  /** Metrics carry the request's value for a key-only descriptor (Envoy's `detailed_metric`). */
  readonly detailedMetric: boolean
}

/** One level of a domain's descriptor tree. */
export interface DescriptorNode {
  readonly rule: Rule | undefined
  /** Children by `key_value` (a value was configured) or `key` (any value). */
  readonly children: ReadonlyMap<string, DescriptorNode>
  /** Children whose value holds a `*`, in file order, each with its `key_value` split on `*`. */
  readonly wildcards: readonly Wildcard[]
  /** Values matching this node's wildcard share one state (Envoy's `share_threshold`). */
  readonly shareThreshold: boolean
  /** Metric names carry the request's value at this level (Envoy's `value_to_metric`). */
  readonly valueToMetric: boolean
}

/** A configured value with `*` in it (anywhere, any number of times), split once at load time. */
export interface Wildcard {
  /** `key_value` as configured, e.g. `path_bar*b` (the rule id and metric label keep it). */
  readonly pattern: string
  /** The pattern split on `*`: `["path_bar", "b"]`. */
  readonly parts: readonly string[]
  readonly node: DescriptorNode
}

export interface RateLimiterConfig {
  readonly domains: ReadonlyMap<string, DescriptorNode>
  readonly rules: readonly Rule[]
  /** The text it was parsed from (the admin API shows it back). */
  readonly source: string
}

/** A configuration that cannot be loaded; the message names the document and the place. */
export class ConfigLoadError extends ConfigError {
  override name = 'ConfigLoadError'
}

export interface ParseOptions {
  /** Algorithm of descriptors that name none; Envoy's service has only the fixed window. */
  defaultAlgorithm?: AlgorithmName
  defaultFailureMode?: FailureMode
  /** A domain named again (another file or document) adds its descriptors instead of being an error. */
  mergeDomains?: boolean
}

/** One file of a configuration: its name (for errors) and its text. */
export interface ConfigFile {
  readonly name: string
  readonly text: string
}
