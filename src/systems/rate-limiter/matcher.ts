/**
 * Which configured rule a request descriptor falls under, with
 * envoyproxy/ratelimit's semantics (its config_impl.go GetLimit):
 *
 * - walk the entries in order, one tree level per entry;
 * - at each level prefer the exact `key_value`, then the first wildcard
 *   value in file order (`*` anywhere, any number of times, each matching
 *   zero or more characters: `fr*`, `bar*b`, `foo*bar*baz`),
 *   then the key alone (any value);
 * - a rule applies only if it sits on the node of the LAST entry: a request
 *   that is more or less specific than the configuration is not limited;
 * - an unknown domain or an unmatched descriptor is not limited (the caller
 *   counts it, so a misconfiguration is visible in the metrics).
 */
import type { DescriptorNode, RateLimiterConfig, Rule, Wildcard } from './config-model.js'

export interface Entry {
  readonly key: string
  readonly value: string
}

export type Match =
  | {
      readonly kind: 'rule'
      readonly rule: Rule
      /** Per entry, how it matched (share_threshold and metric names need it). */
      readonly path: readonly Step[]
    }
  | { readonly kind: 'unknown_domain' }
  | { readonly kind: 'no_rule' }

/** How one entry matched a level: its exact `key_value`, a wildcard value, or the key alone. */
export interface Step {
  readonly node: DescriptorNode
  readonly how: 'exact' | 'wildcard' | 'key'
  readonly wildcard?: Wildcard
}

const UNKNOWN_DOMAIN: Match = { kind: 'unknown_domain' }
const NO_RULE: Match = { kind: 'no_rule' }

/**
 * Whether `text` matches a pattern split on `*` (each `*` zero or more characters), as
 * envoyproxy/ratelimit's wildcardMatch: the first part is a prefix, the last a suffix that does
 * not overlap it, and the middle parts occur in order between them.
 */
export function wildcardMatches(parts: readonly string[], text: string): boolean {
  if (parts.length === 1) return parts[0] === text
  const first = parts[0]!
  const last = parts[parts.length - 1]!
  if (!text.startsWith(first) || !text.endsWith(last)) return false
  let fixed = 0
  for (const p of parts) fixed += p.length
  if (text.length < fixed) return false
  let at = first.length
  const end = text.length - last.length
  for (let i = 1; i < parts.length - 1; i++) {
    const found = text.indexOf(parts[i]!, at)
    if (found < 0 || found + parts[i]!.length > end) return false
    at = found + parts[i]!.length
  }
  return true
}

/** The child of `level` an entry leads to, if any, and how. */
function step(level: DescriptorNode, entry: Entry): Step | undefined {
  const keyValue = `${entry.key}_${entry.value}`
  const exact = level.children.get(keyValue)
  if (exact) return { node: exact, how: 'exact' }
  for (const w of level.wildcards)
    if (wildcardMatches(w.parts, keyValue)) return { node: w.node, how: 'wildcard', wildcard: w }
  const byKey = level.children.get(entry.key)
  return byKey ? { node: byKey, how: 'key' } : undefined
}

/** Find the rule for one descriptor of `domain`. */
export function match(config: RateLimiterConfig, domain: string, entries: readonly Entry[]): Match {
  let level = config.domains.get(domain)
  if (!level) return UNKNOWN_DOMAIN
  const path: Step[] = []
  for (let i = 0; i < entries.length; i++) {
    const found = step(level, entries[i]!)
    if (!found) return NO_RULE
    path.push(found)
    if (i === entries.length - 1)
      return found.node.rule ? { kind: 'rule', rule: found.node.rule, path } : NO_RULE
    level = found.node
  }
  return NO_RULE
}

/** The configured value of the wildcard an entry matched through, e.g. `files/*`. */
const patternValue = (entry: Entry, s: Step) => s.wildcard!.pattern.slice(entry.key.length + 1)

/** The value of an entry as its state key uses it: the wildcard itself where values share its threshold. */
export function sharedValue(entry: Entry, s: Step): string {
  return s.how === 'wildcard' && s.node.shareThreshold ? patternValue(entry, s) : entry.value
}

/**
 * The metric name of a matched descriptor, as envoyproxy/ratelimit names its stats: the rule id
 * (a wildcard keeps its pattern); with `detailed_metric` every entry's `key_value`; with
 * `value_to_metric` on a level, the request's value there. A wildcard that shares its threshold
 * always shows its pattern.
 */
export function statsName(
  domain: string,
  entries: readonly Entry[],
  rule: Rule,
  path: readonly Step[],
): string {
  let name = domain
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const s = path[i]!
    let value: string
    if (s.how === 'wildcard' && s.node.shareThreshold) value = patternValue(e, s)
    else if (rule.detailedMetric || s.how === 'exact') value = e.value
    else if (s.how === 'wildcard') value = s.node.valueToMetric ? e.value : patternValue(e, s)
    else value = s.node.valueToMetric ? e.value : ''
    name += value === '' ? `.${e.key}` : `.${e.key}_${value}`
  }
  return name
}
