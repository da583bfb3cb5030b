/**
 * Short codes and custom slugs.
 *
 * A generated code is a unique 64-bit id (from the block allocator, so no
 * database round trip per create) run through a keyed permutation of the
 * codes of the requested length, then written in base62. The permutation
 * is a bijection, so distinct ids give distinct codes: generation is
 * collision-free by construction, and the only possible clash is with a
 * custom slug that happens to equal a generated code (the unique constraint
 * catches it and the create retries with the next id). The permutation
 * also keeps codes from being sequential: `abc12` does not reveal `abc13`.
 *
 * Case policy: codes and slugs are case-sensitive (Shlink's default "strict"
 * mode): `Promo` and `promo` are two links. Reserved words are refused in
 * any case, so `/Docs` cannot shadow `/docs` for a human typing it.
 */
import { createHash } from 'node:crypto'

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const MIN_CODE_LENGTH = 4
export const MAX_CODE_LENGTH = 16
export const MAX_SLUG_LENGTH = 100

const MASK64 = (1n << 64n) - 1n
const ROUNDS = 4

/** A keyed permutation of [0, 62^length) for each code length, in base62. */
export class CodeCodec {
  private readonly roundKeys: bigint[]

  constructor(key: Uint8Array) {
    // Four 64-bit round keys derived from the installation's secret.
    const digest = createHash('sha256').update(key).digest()
    this.roundKeys = Array.from({ length: ROUNDS }, (_, i) => digest.readBigUInt64BE(i * 8))
  }

  /**
   * The code of `id` with at least `length` characters. An id too large for
   * `length` (62^length ids exist) takes the shortest length that fits it.
   */
  encode(id: number | bigint, length: number): string {
    let v = BigInt(id)
    let len = length
    while (v >= 62n ** BigInt(len)) len++
    const domain = 62n ** BigInt(len)
    v = this.permute(v, domain, true)
    return toBase62(v, len)
  }

  /** The id a generated code stands for (tests; never needed to resolve a code). */
  decode(code: string): bigint {
    const domain = 62n ** BigInt(code.length)
    return this.permute(fromBase62(code), domain, false)
  }

  /**
   * A Feistel network over the smallest even number of bits covering the
   * domain, with cycle walking: re-apply until the value falls inside the
   * domain (at most 4 applications on average, since the bit space is less
   * than 4 times the domain). Cycle walking a permutation keeps it a
   * permutation of the smaller domain.
   */
  private permute(value: bigint, domain: bigint, forward: boolean): bigint {
    let bits = (domain - 1n).toString(2).length
    if (bits % 2 === 1) bits++
    const half = BigInt(bits / 2)
    const mask = (1n << half) - 1n
    let v = value
    do {
      let l = v >> half
      let r = v & mask
      if (forward) {
        for (let i = 0; i < ROUNDS; i++) [l, r] = [r, l ^ (this.round(r, i) & mask)]
      } else {
        for (let i = ROUNDS - 1; i >= 0; i--) [l, r] = [r ^ (this.round(l, i) & mask), l]
      }
      v = (l << half) | r
    } while (v >= domain)
    return v
  }

  /** Round function: a 64-bit multiply-xorshift mix of the half block and the round key. */
  private round(x: bigint, i: number): bigint {
    let z = (x ^ this.roundKeys[i]!) & MASK64
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64
    return z ^ (z >> 31n)
  }
}

export function toBase62(value: bigint, length: number): string {
  let v = value
  let out = ''
  while (v > 0n) {
    out = BASE62[Number(v % 62n)] + out
    v /= 62n
  }
  return out.padStart(length, '0')
}

export function fromBase62(code: string): bigint {
  let v = 0n
  for (const ch of code) {
    const d = BASE62.indexOf(ch)
    if (d < 0) throw new RangeError(`not a base62 character: ${ch}`)
    v = v * 62n + BigInt(d)
  }
  return v
}

/**
 * First path segments that a short code may never take: the platform's own
 * routes, the REST API, and every system's route prefix (the systems listed
 * in ARCHITECTURE.md, so a system added later cannot be shadowed by a slug
 * created before it). Compared case-insensitively.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  // platform and console
  'rest',
  'docs',
  'metrics',
  'healthz',
  'readyz',
  'openapi.json',
  'api',
  'assets',
  'static',
  'console',
  'favicon.ico',
  'robots.txt',
  'index.html',
  '.well-known',
  // systems
  'url-shortener',
  'rate-limiter',
  'jobs',
  'chat',
  'gateway',
  'auth',
  'payments',
  'inventory',
  'feed',
  'stream-analytics',
  'analytics',
  'object-storage',
  'graphql',
  'search',
  'cache',
  'observability',
  'trading',
  'workflows',
  'fixture',
])

/** The fast path: a slug or code of RFC 3986 "unreserved" characters, which never needs escaping. */
const SLUG = /^[A-Za-z0-9._~-]+$/

/**
 * Any other slug character: letters, marks, digits, symbols (emoji included) and punctuation of
 * any script, and the URL sub-delimiters `!$&'()*+,;=`. Not: URL delimiters `:/?#[]@` (Shlink
 * refuses them too), `%` (`/a%41` would be ambiguous with `/aA`), `\` (browsers read it as `/`),
 * characters a URL must escape and browsers rewrite (`"<>^`{|}` and spaces: spaces become `-`
 * first), controls, separators, unassigned or private-use code points and lone surrogates.
 */
// U+200D (zero-width joiner) glues emoji sequences such as 👩‍💻; variation selectors are marks (\p{M}).
const UNICODE_SLUG = /^(?:[\p{L}\p{M}\p{N}\p{S}\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]|\u200D)+$/u
const URL_UNSAFE = /[:/?#[\]@%\\"<>^`{|}]/

export type SlugCheck = { ok: true; slug: string } | { ok: false; reason: string }

/**
 * Normalize and check a custom slug. As Shlink does, spaces and `/` become
 * `-`; the slug is put in Unicode NFC (an `é` typed as one code point or as
 * `e` + accent is one slug). Then it must be 1-100 characters (code points)
 * of the sets above, not only dots (`.` and `..` are path segments browsers
 * rewrite), and not reserved. Emoji slugs (`🦣🦣🦣`) are slugs.
 */
export function checkSlug(raw: string, extraReserved: ReadonlySet<string> = new Set()): SlugCheck {
  const slug = raw
    .trim()
    .replace(/[\s/]+/gu, '-')
    .normalize('NFC')
  if (slug.length === 0) return { ok: false, reason: 'the custom slug is empty' }
  if ([...slug].length > MAX_SLUG_LENGTH)
    return { ok: false, reason: `the custom slug is longer than ${MAX_SLUG_LENGTH} characters` }
  if (URL_UNSAFE.test(slug))
    return { ok: false, reason: 'URL-reserved characters (: / ? # [ ] @ %) cannot be used in a custom slug' }
  if (!SLUG.test(slug) && !UNICODE_SLUG.test(slug))
    return { ok: false, reason: 'the custom slug may only contain letters, digits, symbols and - . _ ~' }
  if (/^\.+$/.test(slug)) return { ok: false, reason: 'the custom slug cannot be only dots' }
  const lower = slug.toLowerCase()
  if (RESERVED_SLUGS.has(lower) || extraReserved.has(lower))
    return { ok: false, reason: `"${slug}" is reserved` }
  return { ok: true, slug }
}

/** Whether `code` could be a short code at all (cheap reject before any cache or database). */
export function isPlausibleCode(code: string): boolean {
  if (code.length === 0) return false
  if (code.length <= MAX_SLUG_LENGTH && SLUG.test(code)) return true
  // A Unicode slug: at most 100 code points, two UTF-16 units each.
  return code.length <= 2 * MAX_SLUG_LENGTH && !URL_UNSAFE.test(code) && UNICODE_SLUG.test(code)
}

/**
 * The code a request path segment names. The router percent-decodes it as UTF-8 (a browser sends
 * `/%F0%9F%A6%A3` for `/🦣`); a client that sends the raw UTF-8 bytes (curl with a literal emoji)
 * arrives as Latin-1 text, which is read again as UTF-8 here. Then NFC, as slugs are stored.
 */
export function codeFromPath(segment: string): string {
  if (SLUG.test(segment)) return segment
  let text = segment
  if (!/[\u0100-\uffff]/.test(text) && /[\x80-\xff]/.test(text)) {
    const bytes = Buffer.from(text, 'latin1')
    const utf8 = bytes.toString('utf8')
    if (!utf8.includes('\uFFFD')) text = utf8
  }
  return text.normalize('NFC')
}
