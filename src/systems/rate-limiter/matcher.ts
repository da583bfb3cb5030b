/**
 * Which configured rule a request descriptor falls under, with
 * envoyproxy/ratelimit's semantics (its config_impl.go GetLimit):
 *
 * - walk the entries in order, one tree level per entry;
 * - at each level prefer the exact `key_value`, then a value prefix
 *   (`value: "fr*"`), then the key alone (any value);
 * - a rule applies only if it sits on the node of the LAST entry: a request
 *   that is more or less specific than the configuration is not limited;
 * - an unknown domain or an unmatched descriptor is not limited (the caller
 *   counts it, so a misconfiguration is visible in the metrics).
 */
import type { DescriptorNode, RateLimiterConfig, Rule } from './config.js'

export interface Entry {
  readonly key: string
  readonly value: string
}

export type Match =
  | { readonly kind: 'rule'; readonly rule: Rule }
  | { readonly kind: 'unknown_domain' }
  | { readonly kind: 'no_rule' }

const UNKNOWN_DOMAIN: Match = { kind: 'unknown_domain' }
const NO_RULE: Match = { kind: 'no_rule' }

/** The child of `level` an entry leads to, if any. */
function step(level: DescriptorNode, entry: Entry): DescriptorNode | undefined {
  const keyValue = `${entry.key}_${entry.value}`
  const exact = level.children.get(keyValue)
  if (exact) return exact
  for (const [prefix, node] of level.wildcards) if (keyValue.startsWith(prefix)) return node
  return level.children.get(entry.key)
}

/** Find the rule for one descriptor of `domain`. */
export function match(config: RateLimiterConfig, domain: string, entries: readonly Entry[]): Match {
  let level = config.domains.get(domain)
  if (!level) return UNKNOWN_DOMAIN
  for (let i = 0; i < entries.length; i++) {
    const node = step(level, entries[i]!)
    if (!node) return NO_RULE
    if (i === entries.length - 1) return node.rule ? { kind: 'rule', rule: node.rule } : NO_RULE
    level = node
  }
  return NO_RULE
}
