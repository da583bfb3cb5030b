/**
 * Text that PostgreSQL cannot store. A `text`/`jsonb` value can hold neither U+0000 (PostgreSQL
 * strings are NUL-terminated: `invalid byte sequence` / `unsupported Unicode escape sequence`) nor
 * a lone UTF-16 surrogate (it has no UTF-8 encoding: the driver either fails the statement, which
 * fails a whole batch, or silently writes U+FFFD). Both are refused at the edge instead, naming the
 * field, so that one bad value is a 4xx for its sender and never a 500 or a silent change.
 */

/** U+0000, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one: escaped when a bad key is written into a path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this looks for.
const UNSTORABLE_ALL = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Whether PostgreSQL can store this string as `text` (no U+0000, no lone surrogate). */
export function isStorableText(text: string): boolean {
  // A loop over code units: several times faster than the regular expression on short strings.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit === 0) return false
    if (unit < 0xd800 || unit > 0xdfff) continue
    if (unit > 0xdbff) return false
    const next = text.charCodeAt(i + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false
    i++
  }
  return true
}

/**
 * The path of the first string or object key in `value` that PostgreSQL cannot store, or
 * `undefined` when every one is storable. Paths read like `items[3].body`; a bad key is named by
 * its own path (`meta.k\u0000ey`, with the bad characters written as `\uXXXX` escapes so the path
 * itself is safe to store and print); a bad string at the root is the empty path `''` (so compare
 * the result with `undefined`, not for truthiness). Walks plain objects and arrays depth-first in
 * key order, without recursion (a deeply nested body cannot overflow the stack) and visiting each
 * object once (a cycle ends).
 */
export function findUnstorableText(value: unknown): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : ''
  if (typeof value !== 'object' || value === null) return undefined
  // Most values are flat records (path params, query strings, small frames): no allocation for them.
  if (!Array.isArray(value) && isWalkable(value)) {
    const flat = findInFlatRecord(value as Record<string, unknown>)
    if (flat !== NESTED) return flat
  }
  const seen = new Set<object>()
  // Depth-first, in order: children are pushed last-first so the first is popped first.
  const stack: Array<{ node: unknown; path: string }> = [{ node: value, path: '' }]
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: string }
    if (typeof node === 'string') {
      if (!isStorableText(node)) return path
      continue
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) continue
    seen.add(node)
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}[${i}]` })
      continue
    }
    if (!isWalkable(node)) continue
    const keys = Object.keys(node)
    for (const key of keys) {
      if (!isStorableText(key)) return joinKey(path, key)
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string
      stack.push({ node: (node as Record<string, unknown>)[key], path: joinKey(path, key) })
    }
  }
  return undefined
}

/** Marks a record that holds an object, which the general walk must take. */
const NESTED = Symbol('nested')

/** The first bad key, else the first bad string value, of a record without nested objects. */
function findInFlatRecord(record: Record<string, unknown>): string | undefined | typeof NESTED {
  const keys = Object.keys(record)
  // Keys first, then values: the order the general walk reports them in.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (!isStorableText(key)) return joinKey('', key)
    const v = record[key]
    if (typeof v === 'object' && v !== null) return NESTED
  }
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i] as string]
    if (typeof v === 'string' && !isStorableText(v)) return keys[i]
  }
  return undefined
}

/**
 * Objects whose own enumerable keys are their data: plain and null-prototype objects (Fastify's
 * parsed query strings and params have a prototype of their own), class instances. Not binary
 * data, dates, regular expressions, maps or sets, whose keys are not text a client sent.
 */
function isWalkable(node: object): boolean {
  return !(
    ArrayBuffer.isView(node) ||
    node instanceof ArrayBuffer ||
    node instanceof Date ||
    node instanceof RegExp ||
    node instanceof Map ||
    node instanceof Set
  )
}

/** `parent.key`, or `key` at the root, the key's unstorable code units written as escapes. */
function joinKey(parent: string, key: string): string {
  const safe = isStorableText(key) ? key : key.replace(UNSTORABLE_ALL, escapeCodeUnit)
  return parent === '' ? safe : `${parent}.${safe}`
}

/** `\u0000`, `\ud800`: the code unit as an escape a reader can see. */
function escapeCodeUnit(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`
}
