/**
 * Redirect rules (Shlink 4's "dynamic redirects"): a short URL may carry an
 * ordered list of rules, each a long URL and conditions on the visit. On a
 * redirect the rules are tried in priority order (1 first); the first rule
 * whose conditions ALL match gives the long URL, and a rule without
 * conditions never matches (Shlink's ShortUrlRedirectRule::matchesRequest).
 * No rule matching: the short URL's own long URL.
 *
 * Conditions, with Shlink's meaning:
 * - `device` (matchValue android, ios, mobile, windows, macos, linux,
 *   chromeos, desktop) and `browser` (chrome, firefox, edge, safari, opera,
 *   android_browser): from the User-Agent (user-agent.ts).
 * - `language` (`en`, `en-US`): a language of Accept-Language with quality
 *   >= 0.9 has that language, and that region when one is given;
 *   case-insensitive, `_` read as `-`.
 * - `query-param` (matchKey=matchValue), `any-value-query-param` (matchKey
 *   present), `valueless-query-param` (matchKey present and empty). A
 *   repeated parameter counts by its last value, as PHP reads a query.
 * - `ip-address`: the client address equals a static IP, is inside a CIDR
 *   block, or matches an IPv4 pattern with `*` octets (`1.2.*.4`).
 * - `before-date`, `after-date`: now is before / after matchValue.
 * - `geolocation-country-code`, `geolocation-city-name`: the visitor's
 *   country code / city name equals matchValue, case-insensitive (Shlink's
 *   strcasecmp). The address is looked up only when such a condition is
 *   reached, so other redirects pay nothing; with geolocation off (no
 *   database, `off`, or visit tracking off, as Shlink skips it then) or an
 *   address with no location, they never match.
 */
import { BlockList, isIP } from 'node:net'
import { parseDate } from './input.js'
import {
  CONDITION_TYPES,
  type ConditionType,
  type RedirectCondition,
  type RedirectRule,
  type VisitLocation,
} from './ports.js'
import { atom } from './shapes.js'
import { ShlinkErrors } from './shlink-errors.js'
import { checkLongUrl, type UrlPolicyOptions } from './url-policy.js'
import { BROWSERS, type Browser, browserOf, DEVICE_TYPES, type DeviceType, devicesOf } from './user-agent.js'

/** What a rule can look at in a visit. */
export interface VisitContext {
  /** The raw query string, without `?`. */
  query: string
  userAgent: string | undefined
  acceptLanguage: string | undefined
  ip: string | undefined
}

export const MAX_RULES = 100
export const MAX_CONDITIONS = 20
const MAX_MATCH_TEXT = 512

/** Locates a client address; absent when geolocation is off. */
export type Locate = (ip: string) => VisitLocation | null

/** What conditions read lazily: each is computed at most once per visit, and only if a condition needs it. */
interface Lazy {
  query: () => URLSearchParams
  location: () => VisitLocation | null
  devices: () => readonly DeviceType[]
  browser: () => Browser | null
  locales: () => readonly Locale[]
}

/**
 * The long URL of the first matching rule, or undefined when none matches.
 * What conditions read of the visit (query, device, browser, languages, location) is
 * worked out at most once, and only when a condition of that kind is reached.
 */
export function matchRules(
  rules: readonly RedirectRule[],
  visit: VisitContext,
  locate?: Locate,
): string | undefined {
  let query: URLSearchParams | undefined
  let location: VisitLocation | null | undefined
  let devices: readonly DeviceType[] | undefined
  let browser: Browser | null | undefined
  let locales: readonly Locale[] | undefined
  const lazy: Lazy = {
    query: () => (query ??= new URLSearchParams(visit.query)),
    devices: () => (devices ??= devicesOf(visit.userAgent)),
    browser: () => {
      // null (no known browser) is a result, as for location.
      if (browser === undefined) browser = browserOf(visit.userAgent)
      return browser
    },
    locales: () => (locales ??= acceptedLocales(visit.acceptLanguage)),
    location: () => {
      // `undefined` is "not looked up yet"; null (no location) is a result, kept like any other.
      if (location === undefined) location = locate && visit.ip !== undefined ? locate(visit.ip) : null
      return location
    },
  }
  for (const rule of rules) {
    if (rule.conditions.length === 0) continue
    if (rule.conditions.every((c) => matches(c, visit, lazy))) return rule.longUrl
  }
  return undefined
}

/** Shlink's strcasecmp equality; an unknown (empty) field never matches. */
function sameText(known: string | undefined, wanted: string | null): boolean {
  return !!known && wanted !== null && known.toLowerCase() === wanted.toLowerCase()
}

function matches(c: RedirectCondition, visit: VisitContext, lazy: Lazy): boolean {
  const value = c.matchValue
  const query = lazy.query
  switch (c.type) {
    case 'device':
      return lazy.devices().some((d) => d === value)
    case 'browser':
      return lazy.browser() === value
    case 'language':
      return value !== null && localeMatches(lazy.locales(), value)
    case 'query-param': {
      if (c.matchKey === null) return false
      const all = query().getAll(c.matchKey)
      return all.length > 0 && all[all.length - 1] === value
    }
    case 'any-value-query-param':
      return c.matchKey !== null && query().has(c.matchKey)
    case 'valueless-query-param': {
      if (c.matchKey === null || !query().has(c.matchKey)) return false
      const all = query().getAll(c.matchKey)
      return all[all.length - 1] === ''
    }
    case 'ip-address':
      return value !== null && visit.ip !== undefined && ipMatches(value, visit.ip)
    case 'before-date':
      return value !== null && Date.now() < Date.parse(value)
    case 'after-date':
      return value !== null && Date.now() > Date.parse(value)
    case 'geolocation-country-code':
      return sameText(lazy.location()?.countryCode, value)
    case 'geolocation-city-name':
      return sameText(lazy.location()?.cityName, value)
  }
}

/** A language and optional region of Accept-Language, lower case. */
type Locale = readonly [language: string | undefined, region: string | undefined]

const NO_LOCALES: readonly Locale[] = []

/** The Accept-Language entries Shlink considers: quality >= 0.9, not `*`. */
function acceptedLocales(header: string | undefined): readonly Locale[] {
  const text = header?.trim()
  if (!text || text === '*') return NO_LOCALES
  const out: Locale[] = []
  for (const part of text.split(',')) {
    const [tag = '', ...params] = part.split(';')
    const locale = normalizeLocale(tag)
    if (locale === '*' || locale === '') continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    if (!(quality >= 0.9)) continue
    const [l, r] = locale.split('-')
    out.push([l, r])
  }
  return out
}

/** Whether one of `locales` is `wanted` (`en`: any region; `en-US`: that region). */
function localeMatches(locales: readonly Locale[], wanted: string): boolean {
  const [lang, region] = normalizeLocale(wanted).split('-')
  return locales.some(([l, r]) => l === lang && (region === undefined || region === r))
}

/** Shlink's language match: Accept-Language entries of quality >= 0.9 against `en` or `en-US`. */
export function acceptsLanguage(header: string | undefined, wanted: string): boolean {
  return localeMatches(acceptedLocales(header), wanted)
}

function normalizeLocale(locale: string): string {
  return locale.replaceAll('_', '-').toLowerCase().trim()
}

const ipMatchers = new Map<string, (ip: string) => boolean>()

/** Whether `ip` matches a static IP, CIDR block or `*` pattern (compiled once per pattern). */
export function ipMatches(pattern: string, ip: string): boolean {
  let m = ipMatchers.get(pattern)
  if (!m) {
    m = compileIpPattern(pattern) ?? (() => false)
    if (ipMatchers.size > 10_000) ipMatchers.clear()
    ipMatchers.set(pattern, m)
  }
  return m(ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip)
}

function compileIpPattern(pattern: string): ((ip: string) => boolean) | undefined {
  if (pattern.includes('*')) {
    const parts = pattern.split('.')
    if (parts.length !== 4) return undefined
    if (!parts.every((p) => p === '*' || (/^\d{1,3}$/.test(p) && Number(p) <= 255))) return undefined
    return (ip) => {
      const octets = ip.split('.')
      return isIP(ip) === 4 && parts.every((p, i) => p === '*' || Number(p) === Number(octets[i]))
    }
  }
  const [address = '', bits, ...rest] = pattern.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return undefined
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const list = new BlockList()
  if (bits === undefined) list.addAddress(address, type)
  else {
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : -1
    if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined
    list.addSubnet(address, prefix, type)
  }
  return (ip) => {
    const f = isIP(ip)
    return f !== 0 && list.check(ip, f === 4 ? 'ipv4' : 'ipv6')
  }
}

/** Whether `code` is an ISO 3166-1 alpha-2 country code (the runtime's region names know them all). */
function isCountryCode(code: string): boolean {
  if (!/^[A-Za-z]{2}$/.test(code)) return false
  const name = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(code.toUpperCase())
  return name !== undefined && name !== 'Unknown Region'
}

const invalid = (reason: string) => ShlinkErrors.invalidData(['redirectRules'], reason)

/** A condition of a request body, checked as Shlink's RedirectConditionType::isValid does (and a little more). */
function toCondition(raw: unknown, where: string): RedirectCondition {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(`${where} is not an object`)
  const { type, matchKey = null, matchValue = null } = raw as Record<string, unknown>
  if (typeof type !== 'string' || !(CONDITION_TYPES as readonly string[]).includes(type))
    throw invalid(`${where}.type must be one of ${CONDITION_TYPES.join(', ')}`)
  for (const [name, v] of [
    ['matchKey', matchKey],
    ['matchValue', matchValue],
  ] as const)
    if (v !== null && (typeof v !== 'string' || v.length > MAX_MATCH_TEXT || v.includes('\u0000')))
      throw invalid(`${where}.${name} must be null or a string of at most ${MAX_MATCH_TEXT} characters`)
  const c = {
    type: type as ConditionType,
    matchKey: matchKey as string | null,
    matchValue: matchValue as string | null,
  }
  const need = (ok: boolean, what: string) => {
    if (!ok)
      throw invalid(`"${c.matchValue}" is not a valid value for the "${c.type}" redirect condition: ${what}`)
  }
  switch (c.type) {
    case 'device':
      need((DEVICE_TYPES as readonly string[]).includes(c.matchValue ?? ''), DEVICE_TYPES.join(', '))
      break
    case 'browser':
      need((BROWSERS as readonly string[]).includes(c.matchValue ?? ''), BROWSERS.join(', '))
      break
    case 'language':
      need(
        /^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})?$/.test(c.matchValue ?? ''),
        'a language tag such as en or en-US',
      )
      break
    case 'ip-address':
      need(
        compileIpPattern(c.matchValue ?? '') !== undefined,
        'a static IP, a CIDR block or a pattern like 1.2.*.*',
      )
      break
    case 'geolocation-country-code':
      need(isCountryCode(c.matchValue ?? ''), 'an ISO 3166-1 alpha-2 country code')
      break
    case 'geolocation-city-name':
      need((c.matchValue ?? '').trim() !== '', 'a city name')
      break
    case 'before-date':
    case 'after-date':
      need(c.matchValue !== null, 'an ISO-8601 date')
      c.matchValue = atom(parseDate(c.matchValue!, 'redirectRules'))
      break
    case 'query-param':
      need(c.matchValue !== null && c.matchValue !== '', 'a non-empty value')
      if (!c.matchKey) throw invalid(`${where}.matchKey must name the query parameter`)
      break
    case 'any-value-query-param':
    case 'valueless-query-param':
      if (!c.matchKey) throw invalid(`${where}.matchKey must name the query parameter`)
      break
  }
  return c
}

/** The body of `POST .../redirect-rules` as rules, or an `invalid-data` naming `redirectRules`. */
export function rulesFromBody(body: unknown, policy: UrlPolicyOptions): RedirectRule[] {
  const list = (body as { redirectRules?: unknown } | null)?.redirectRules
  if (!Array.isArray(list)) throw invalid('redirectRules must be an array')
  if (list.length > MAX_RULES) throw invalid(`at most ${MAX_RULES} redirect rules`)
  return list.map((raw, i): RedirectRule => {
    const where = `redirectRules[${i}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw invalid(`${where} is not an object`)
    const { longUrl, conditions } = raw as Record<string, unknown>
    if (typeof longUrl !== 'string') throw invalid(`${where}.longUrl is missing`)
    const url = checkLongUrl(longUrl, policy)
    if (!url.ok) throw invalid(`${where}.longUrl: ${url.reason}`)
    if (!Array.isArray(conditions)) throw invalid(`${where}.conditions must be an array`)
    if (conditions.length > MAX_CONDITIONS) throw invalid(`${where}: at most ${MAX_CONDITIONS} conditions`)
    return {
      longUrl: url.url,
      conditions: conditions.map((c, j) => toCondition(c, `${where}.conditions[${j}]`)),
    }
  })
}
