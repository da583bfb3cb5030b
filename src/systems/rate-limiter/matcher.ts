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
import type { DescriptorNode, RateLimiterConfig, Rule, Wildcard } from './config.js'

export interface Entry {
  readonly key: string
  readonly value: string
}

export type Match =
  | {
      readonly kind: 'rule'
      readonly rule: Rule
      /** Per entry: the wildcard it matched, if any (share_threshold and metric names need it). */
      readonly wildcards: readonly (Wildcard | undefined)[]
    }
  | { readonly kind: 'unknown_domain' }
  | { readonly kind: 'no_rule' }

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

/** The child of `level` an entry leads to, if any, and the wildcard it came through. */
function step(level: DescriptorNode, entry: Entry): [DescriptorNode, Wildcard | undefined] | undefined {
  const keyValue = `${entry.key}_${entry.value}`
  const exact = level.children.get(keyValue)
  if (exact) return [exact, undefined]
  for (const w of level.wildcards) if (wildcardMatches(w.parts, keyValue)) return [w.node, w]
  const byKey = level.children.get(entry.key)
  return byKey ? [byKey, undefined] : undefined
}

/** Find the rule for one descriptor of `domain`. */
export function match(config: RateLimiterConfig, domain: string, entries: readonly Entry[]): Match {
  let level = config.domains.get(domain)
  if (!level) return UNKNOWN_DOMAIN
  const wildcards: (Wildcard | undefined)[] = []
  for (let i = 0; i < entries.length; i++) {
    const found = step(level, entries[i]!)
    if (!found) return NO_RULE
    const [node, wildcard] = found
    wildcards.push(wildcard)
    if (i === entries.length - 1) return node.rule ? { kind: 'rule', rule: node.rule, wildcards } : NO_RULE
    level = node
  }
  return NO_RULE
}
