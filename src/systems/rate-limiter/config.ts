/**
 * The configuration: envoyproxy/ratelimit's YAML format, read strictly, plus
 * three keys of ours per descriptor (`algorithm`, `burst`, `failure_mode`).
 *
 *   domain: api
 *   descriptors:
 *     - key: remote_address            # any value: each address has its own limit
 *       rate_limit: { unit: second, requests_per_unit: 10, algorithm: token_bucket, burst: 20 }
 *     - key: plan
 *       value: free                    # exactly this value ("fr*" would be a prefix)
 *       shadow_mode: true              # count, never block
 *       rate_limit: { unit: minute, requests_per_unit: 100 }
 *
 * A file holds one domain per YAML document (`---` between them). Like the
 * Go service, an unknown key, an unknown unit, a duplicate descriptor or a
 * duplicate domain is an error naming the place: a typo must not silently
 * turn a limit off. Every limit is also checked by the rate-limit library,
 * so a config that loads can be served.
 */
import { parseAllDocuments } from 'yaml'
import { ALGORITHMS, type AlgorithmName, BUCKET_ALGORITHMS } from '../../platform/rate-limit/index.js'
import { validateLimits } from '../../platform/rate-limit/validate.js'
import { ConfigError } from '../../platform/settings.js'

/** The units of RateLimitResponse.RateLimit.Unit, with their length as Envoy's service counts it. */
export const UNIT_SECONDS = {
  SECOND: 1,
  MINUTE: 60,
  HOUR: 3_600,
  DAY: 86_400,
  MONTH: 30 * 86_400,
  YEAR: 365 * 86_400,
} as const
export type Unit = keyof typeof UNIT_SECONDS

export type FailureMode = 'insurance' | 'open' | 'closed'
const FAILURE_MODES: readonly FailureMode[] = ['insurance', 'open', 'closed']

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
}

const DOMAIN_KEYS = new Set(['domain', 'descriptors'])
const DESCRIPTOR_KEYS = new Set([
  'key',
  'value',
  'rate_limit',
  'descriptors',
  'shadow_mode',
  'detailed_metric',
  'algorithm',
  'burst',
  'failure_mode',
])
const LIMIT_KEYS = new Set([
  'unit',
  'requests_per_unit',
  'unlimited',
  'name',
  'replaces',
  'unit_multiplier',
  'algorithm',
  'burst',
])
const MAX_DEPTH = 16

type Obj = Record<string, unknown>

/** `token_bucket`, `token-bucket` or `TOKEN_BUCKET` to the library's name. */
export function algorithmOf(value: unknown): AlgorithmName | undefined {
  if (typeof value !== 'string') return undefined
  const name = value.toLowerCase().replaceAll('_', '-')
  return (ALGORITHMS as readonly string[]).includes(name) ? (name as AlgorithmName) : undefined
}

/** Parse and check a whole configuration file; throws ConfigLoadError. */
export function parseConfig(text: string, file = 'config', opts: ParseOptions = {}): RateLimiterConfig {
  const docs = parseAllDocuments(text, { uniqueKeys: true })
  const list = Array.isArray(docs) ? docs : [docs]
  const domains = new Map<string, DescriptorNode>()
  const rules: Rule[] = []
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${file} (document ${i + 1})` : file
    if (doc.errors.length > 0) throw new ConfigLoadError(`${where}: ${doc.errors[0]!.message.split('\n')[0]}`)
    let root: unknown
    try {
      root = doc.toJS({ maxAliasCount: 100 })
    } catch (err) {
      // Unresolved aliases, alias bombs: the YAML library throws plain errors for these.
      throw new ConfigLoadError(`${where}: ${(err as Error).message.split('\n')[0]}`)
    }
    if (root === null || root === undefined) return // an empty document (e.g. a trailing ---)
    const builder = new Builder(where, opts, rules)
    const domain = builder.domain(root)
    if (domains.has(domain.name)) throw new ConfigLoadError(`${where}: duplicate domain '${domain.name}'`)
    domains.set(domain.name, domain.node)
  })
  return { domains, rules, source: text }
}

/** Builds one domain's tree, collecting its rules; `fail` names the place of every error. */
class Builder {
  constructor(
    private readonly file: string,
    private readonly opts: ParseOptions,
    private readonly rules: Rule[],
  ) {}

  private fail(at: string, message: string): never {
    throw new ConfigLoadError(`${this.file}: ${at ? `${at}: ` : ''}${message}`)
  }

  private object(value: unknown, at: string, allowed: Set<string>): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(at, 'expected a mapping')
    for (const k of Object.keys(value)) if (!allowed.has(k)) this.fail(at, `unknown key '${k}'`)
    return value as Obj
  }

  private string(value: unknown, at: string, what: string): string {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value)
    if (typeof value !== 'string') this.fail(at, `${what} must be a string`)
    return value
  }

  private flag(value: unknown, at: string, what: string): boolean {
    if (value === undefined) return false
    if (typeof value !== 'boolean') this.fail(at, `${what} must be true or false`)
    return value
  }

  private count(value: unknown, at: string, what: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > 4_294_967_295)
      this.fail(at, `${what} must be an integer from ${min} to 4294967295, got ${String(value)}`)
    return value
  }

  domain(root: unknown): { name: string; node: DescriptorNode } {
    const o = this.object(root, '', DOMAIN_KEYS)
    const name = o.domain === undefined ? '' : this.string(o.domain, '', 'domain')
    if (name === '') this.fail('', 'config file cannot have empty domain')
    return { name, node: this.level(o.descriptors, name, `${name}.`, 0) }
  }

  private level(list: unknown, domain: string, parentId: string, depth: number): DescriptorNode {
    const children = new Map<string, DescriptorNode>()
    const wildcards: Wildcard[] = []
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list)) this.fail(parentId, 'descriptors must be a list')
      if (depth >= MAX_DEPTH) this.fail(parentId, `descriptors nest deeper than ${MAX_DEPTH} levels`)
      for (const item of list) {
        const { finalKey, node } = this.descriptor(item, domain, parentId, depth)
        if (children.has(finalKey))
          this.fail(parentId, `duplicate descriptor composite key '${parentId}${finalKey}'`)
        children.set(finalKey, node)
        if (finalKey.includes('*')) wildcards.push({ pattern: finalKey, parts: finalKey.split('*'), node })
      }
    }
    return { rule: undefined, children, wildcards }
  }

  private descriptor(item: unknown, domain: string, parentId: string, depth: number) {
    const d = this.object(item, parentId || domain, DESCRIPTOR_KEYS)
    const key = d.key === undefined ? '' : this.string(d.key, parentId, 'key')
    if (key === '') this.fail(parentId, 'descriptor has empty key')
    const value = d.value === undefined || d.value === null ? '' : this.string(d.value, parentId, 'value')
    const finalKey = value === '' ? key : `${key}_${value}`
    const id = `${parentId}${finalKey}`
    const child = this.level(d.descriptors, domain, `${id}.`, depth + 1)
    const rule = d.rate_limit === undefined ? undefined : this.rule(d, id, domain)
    return { finalKey, node: { ...child, rule } }
  }

  private rule(d: Obj, id: string, domain: string): Rule {
    const r = this.object(d.rate_limit, id, LIMIT_KEYS)
    const unlimited = this.flag(r.unlimited, id, 'unlimited')
    const unitName = r.unit === undefined ? '' : this.string(r.unit, id, 'unit').toUpperCase()
    const validUnit = Object.hasOwn(UNIT_SECONDS, unitName)
    if (unlimited && validUnit) this.fail(id, 'should not specify rate limit unit when unlimited')
    if (!unlimited && !validUnit)
      this.fail(
        id,
        `invalid rate limit unit '${String(r.unit ?? '')}' (one of ${Object.keys(UNIT_SECONDS).join(', ').toLowerCase()})`,
      )
    const unit: Unit = validUnit ? (unitName as Unit) : 'SECOND'
    const requestsPerUnit =
      r.requests_per_unit === undefined ? 0 : this.count(r.requests_per_unit, id, 'requests_per_unit', 0)
    const unitMultiplier =
      r.unit_multiplier === undefined ? 1 : this.count(r.unit_multiplier, id, 'unit_multiplier', 1)
    const algorithm = this.algorithm(d, r, id)
    const burst = this.burst(d, r, id, algorithm)
    const name = r.name === undefined ? undefined : this.string(r.name, id, 'name')
    const replaces = this.replaces(r.replaces, id, name)
    const failure = d.failure_mode ?? this.opts.defaultFailureMode ?? 'insurance'
    if (!FAILURE_MODES.includes(failure as FailureMode))
      this.fail(id, `failure_mode must be one of ${FAILURE_MODES.join(', ')}, got ${String(failure)}`)
    const periodMs = UNIT_SECONDS[unit] * unitMultiplier * 1000
    if (!unlimited && requestsPerUnit > 0) {
      try {
        validateLimits({ algorithm, limit: requestsPerUnit, periodMs, burst })
      } catch (err) {
        this.fail(id, (err as Error).message)
      }
    }
    const rule: Rule = {
      id,
      domain,
      unlimited,
      requestsPerUnit,
      unit,
      unitMultiplier,
      periodMs,
      algorithm,
      burst,
      name,
      replaces,
      shadowMode: this.flag(d.shadow_mode, id, 'shadow_mode'),
      failureMode: failure as FailureMode,
      detailedMetric: this.flag(d.detailed_metric, id, 'detailed_metric'),
    }
    this.rules.push(rule)
    return rule
  }

  /** `algorithm` may sit in rate_limit or beside it (the issue says "per descriptor"); not both, differently. */
  private algorithm(d: Obj, r: Obj, id: string): AlgorithmName {
    const raw = this.either(d, r, 'algorithm', id)
    if (raw === undefined) return this.opts.defaultAlgorithm ?? 'fixed-window'
    const alg = algorithmOf(raw)
    if (!alg)
      this.fail(
        id,
        `unknown algorithm '${String(raw)}' (one of ${ALGORITHMS.map((a) => a.replaceAll('-', '_')).join(', ')})`,
      )
    return alg
  }

  private burst(d: Obj, r: Obj, id: string, algorithm: AlgorithmName): number | undefined {
    const raw = this.either(d, r, 'burst', id)
    if (raw === undefined) return undefined
    if (!BUCKET_ALGORITHMS.includes(algorithm))
      this.fail(
        id,
        `burst applies to token_bucket, leaky_bucket and gcra only, not to ${algorithm.replaceAll('-', '_')}`,
      )
    return this.count(raw, id, 'burst', 1)
  }

  private either(d: Obj, r: Obj, key: string, id: string): unknown {
    if (d[key] !== undefined && r[key] !== undefined && d[key] !== r[key])
      this.fail(id, `${key} is given twice with different values`)
    return r[key] ?? d[key]
  }

  private replaces(raw: unknown, id: string, name: string | undefined): string[] {
    if (raw === undefined) return []
    if (!Array.isArray(raw)) this.fail(id, 'replaces must be a list of { name }')
    return raw.map((e) => {
      const o = this.object(e, id, new Set(['name']))
      const n = o.name === undefined ? '' : this.string(o.name, id, 'replaces name')
      if (n === '') this.fail(id, 'should not have an empty replaces entry')
      if (n === name) this.fail(id, 'replaces should not contain name of same descriptor')
      return n
    })
  }
}
