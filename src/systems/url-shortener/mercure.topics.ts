/**
 * The topics Shlink publishes on its Mercure hub, and how a subscriber's
 * topic selectors match them. A selector is what Mercure accepts in a
 * `topic` query parameter or a JWT's `mercure.subscribe` claim: an exact
 * topic, `*` (every topic), or a URI template (RFC 6570) such as
 * `https://shlink.io/new-visit/{shortCode}`.
 */

/** Shlink's topic names (`Topic.php` in shlinkio/shlink). */
export const Topics = {
  newVisit: 'https://shlink.io/new-visit',
  newOrphanVisit: 'https://shlink.io/new-orphan-visit',
  newShortUrl: 'https://shlink.io/new-short-url',
  /** The visits of one short URL. */
  newShortUrlVisit: (shortCode: string) => `https://shlink.io/new-visit/${shortCode}`,
} as const

/** Longest selector we accept: a topic is an IRI, and a subscription names a handful. */
export const MAX_SELECTOR_LENGTH = 2_048

const compiled = new Map<string, RegExp>()

/**
 * A URI template as a regular expression over topics: `{var}` and the other
 * simple expressions match one segment (no `/ ? #`), `{+var}` and `{#var}`
 * (reserved expansion) match anything, as RFC 6570 expands them.
 */
function templateRegExp(template: string): RegExp {
  let re = compiled.get(template)
  if (!re) {
    let source = '^'
    let last = 0
    for (const m of template.matchAll(/\{([+#./;?&]?)[^{}]*\}/g)) {
      source += escapeRegExp(template.slice(last, m.index))
      source += m[1] === '+' || m[1] === '#' ? '.*' : '[^/?#]*'
      last = m.index + m[0].length
    }
    source += `${escapeRegExp(template.slice(last))}$`
    re = new RegExp(source)
    if (compiled.size >= 10_000) compiled.clear()
    compiled.set(template, re)
  }
  return re
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Whether `selector` selects `topic`. */
export function matches(selector: string, topic: string): boolean {
  if (selector === '*' || selector === topic) return true
  return selector.includes('{') && templateRegExp(selector).test(topic)
}

/** Whether any of `selectors` selects any of `topics`. */
export function anyMatch(selectors: readonly string[], topics: readonly string[]): boolean {
  for (const s of selectors) for (const t of topics) if (matches(s, t)) return true
  return false
}
