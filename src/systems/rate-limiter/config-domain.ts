/**
 * One domain document of the configuration, checked and built into its
 * descriptor tree: every key, unit, limit and flag is validated where it
 * stands, and an error names the file and the place (a typo must not
 * silently turn a limit off).
 */
import { ALGORITHMS, type AlgorithmName, BUCKET_ALGORITHMS } from '../../platform/rate-limit/index.js'
import { validateLimits } from '../../platform/rate-limit/validate.js'
import {
  ConfigLoadError,
  type DescriptorNode,
  type FailureMode,
  type ParseOptions,
  type Rule,
  UNIT_SECONDS,
  type Unit,
  type Wildcard,
} from './config-model.js'

const FAILURE_MODES: readonly FailureMode[] = ['insurance', 'open', 'closed']
const DOMAIN_KEYS = new Set(['domain', 'descriptors'])
const DESCRIPTOR_KEYS = new Set([
  'key',
  'value',
  'rate_limit',
  'descriptors',
  'shadow_mode',
  'quota_mode',
  'detailed_metric',
  'value_to_metric',
  'share_threshold',
  'metadata',
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

/** A descriptor tree while it is built. */
export interface MutableNode extends DescriptorNode {
  rule: Rule | undefined
  readonly children: Map<string, MutableNode>
  readonly wildcards: Wildcard[]
}

const emptyNode = (): MutableNode => ({
  rule: undefined,
  children: new Map(),
  wildcards: [],
  shareThreshold: false,
  valueToMetric: false,
})

/** Builds one domain's tree, collecting its rules; `fail` names the place of every error. */
export class Builder {
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

  /** Add one document's domain to `domains` (a new one, or descriptors added to it when merging). */
  domain(root: unknown, domains: Map<string, MutableNode>): void {
    const o = this.object(root, '', DOMAIN_KEYS)
    const name = o.domain === undefined ? '' : this.string(o.domain, '', 'domain')
    if (name === '') this.fail('', 'config file cannot have empty domain')
    let node = domains.get(name)
    if (node && !this.opts.mergeDomains)
      this.fail('', `duplicate domain '${name}' (set RATE_LIMITER_MERGE_DOMAIN_CONFIG=true to merge)`)
    if (!node) {
      node = emptyNode()
      domains.set(name, node)
    }
    this.level(o.descriptors, name, `${name}.`, 0, node)
  }

  /** Load a descriptor list into `into`; a composite key already there is an error (merging included). */
  private level(list: unknown, domain: string, parentId: string, depth: number, into: MutableNode): void {
    if (list === undefined || list === null) return
    if (!Array.isArray(list)) this.fail(parentId, 'descriptors must be a list')
    if (depth >= MAX_DEPTH) this.fail(parentId, `descriptors nest deeper than ${MAX_DEPTH} levels`)
    for (const item of list) {
      const { finalKey, node } = this.descriptor(item, domain, parentId, depth)
      if (into.children.has(finalKey))
        this.fail(parentId, `duplicate descriptor composite key '${parentId}${finalKey}'`)
      into.children.set(finalKey, node)
      if (finalKey.includes('*')) into.wildcards.push({ pattern: finalKey, parts: finalKey.split('*'), node })
    }
  }

  private descriptor(item: unknown, domain: string, parentId: string, depth: number) {
    const d = this.object(item, parentId || domain, DESCRIPTOR_KEYS)
    const key = d.key === undefined ? '' : this.string(d.key, parentId, 'key')
    if (key === '') this.fail(parentId, 'descriptor has empty key')
    const value = d.value === undefined || d.value === null ? '' : this.string(d.value, parentId, 'value')
    const finalKey = value === '' ? key : `${key}_${value}`
    const id = `${parentId}${finalKey}`
    const shareThreshold = this.flag(d.share_threshold, id, 'share_threshold')
    if (shareThreshold && !finalKey.includes('*'))
      this.fail(
        id,
        `share_threshold can only be used with wildcard values (containing '*'), but found key '${finalKey}'`,
      )
    const node: MutableNode = {
      ...emptyNode(),
      shareThreshold,
      valueToMetric: this.flag(d.value_to_metric, id, 'value_to_metric'),
    }
    this.level(d.descriptors, domain, `${id}.`, depth + 1, node)
    if (d.rate_limit === undefined) this.metadata(d.metadata, id) // checked even where nothing uses it, as Envoy does
    node.rule = d.rate_limit === undefined ? undefined : this.rule(d, id, domain)
    return { finalKey, node }
  }

  /** `metadata`: any mapping (Envoy turns it into a protobuf Struct), kept as plain JSON. */
  private metadata(raw: unknown, id: string): Record<string, unknown> | undefined {
    if (raw === undefined || raw === null) return undefined
    if (typeof raw !== 'object' || Array.isArray(raw)) this.fail(id, 'metadata must be a mapping')
    const json = (v: unknown, at: string): unknown => {
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) this.fail(id, `metadata ${at} must be a finite number`)
        return v
      }
      if (Array.isArray(v)) return v.map((e, i) => json(e, `${at}[${i}]`))
      if (typeof v === 'object' && !(v instanceof Date))
        return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, json(e, `${at}.${k}`)]))
      this.fail(id, `metadata ${at} is not a JSON value`)
    }
    const out = json(raw, 'metadata') as Record<string, unknown>
    return Object.keys(out).length === 0 ? undefined : out
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
      quotaMode: this.flag(d.quota_mode, id, 'quota_mode'),
      metadata: this.metadata(d.metadata, id),
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
