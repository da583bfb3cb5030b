/**
 * The public side of the domain: a visit to `/{shortCode}` (or its
 * tracking pixel) becomes a redirect target or a "not found", and a visit
 * record in the buffer. This is the hot path: on a cached code without
 * maxVisits it runs synchronously, allocates one small record, and does no
 * I/O at all.
 *
 * Rules, as Shlink's: a code that does not exist, is not valid yet
 * (validSince in the future), has expired (validUntil in the past) or has
 * used up its maxVisits is "not found", never redirected. maxVisits is
 * enforced exactly across any number of processes by one atomic UPDATE in
 * PostgreSQL per visit of such a link (store.countVisit).
 */
import { isPlausibleCode } from './codes.js'
import type { OrphanVisitType, RedirectTarget, ShortUrlStore } from './ports.js'
import { type Locate, matchRules, type VisitContext } from './redirect-rules.js'
import type { RedirectResolver } from './resolver.js'
import type { VisitBuffer } from './visits.buffer.js'

export type Outcome = { found: true; location: string } | { found: false }

const NOT_FOUND: Outcome = Object.freeze({ found: false })

/** A visit: what redirect rules look at (query, user agent, languages, address), and what is recorded. */
export interface VisitInfo extends VisitContext {
  referer: string | undefined
  /** The short URL as visited (base URL + path and query). */
  visitedUrl: string
  /** Whether the visit record keeps `ip` for the flusher to locate (a geolocation database is loaded). */
  geolocate: boolean
}

const MAX_HEADER_KEPT = 2048

/** Percent-encode anything outside printable ASCII, byte by byte (the request target is latin1 text). */
function safeQuery(query: string): string {
  if (!/[^\x21-\x7e]/.test(query)) return query
  return query.replace(/[^\x21-\x7e]/g, (c) => {
    const code = c.charCodeAt(0)
    const bytes = code <= 0xff ? [code] : [...Buffer.from(c, 'utf8')]
    return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  })
}

/**
 * The long URL with the visit's query merged in (Shlink's forwardQuery): the
 * visit's parameters are added, replacing the long URL's parameters of the
 * same name; the fragment stays last.
 */
export function mergeQuery(longUrl: string, query: string): string {
  if (query === '') return longUrl
  const q = safeQuery(query)
  const hashAt = longUrl.indexOf('#')
  const base = hashAt >= 0 ? longUrl.slice(0, hashAt) : longUrl
  const hash = hashAt >= 0 ? longUrl.slice(hashAt) : ''
  const queryAt = base.indexOf('?')
  if (queryAt < 0) return `${base}?${q}${hash}`
  const merged = new URLSearchParams(base.slice(queryAt + 1))
  const incoming = new URLSearchParams(q)
  for (const name of new Set(incoming.keys())) merged.delete(name)
  for (const [name, value] of incoming) merged.append(name, value)
  const text = merged.toString()
  return `${base.slice(0, queryAt)}${text ? `?${text}` : ''}${hash}`
}

export class Redirector {
  constructor(
    private readonly resolver: RedirectResolver,
    private readonly store: ShortUrlStore,
    private readonly buffer: VisitBuffer,
    private readonly trackVisits: boolean,
    private readonly trackOrphanVisits: boolean,
    /** For geolocation redirect conditions; absent when geolocation is off (they never match then). */
    private readonly locate?: Locate,
  ) {}

  /** Record a visit that found no short URL (the caller knows its type and where it was sent). */
  orphan(type: OrphanVisitType, info: VisitInfo, redirectUrl: string | null): void {
    if (!this.trackVisits || !this.trackOrphanVisits) return
    this.buffer.recordOrphan({
      type,
      at: Date.now(),
      referer: info.referer ? info.referer.slice(0, MAX_HEADER_KEPT) : null,
      userAgent: info.userAgent ? info.userAgent.slice(0, MAX_HEADER_KEPT) : null,
      visitedUrl: info.visitedUrl.slice(0, MAX_HEADER_KEPT),
      redirectUrl: redirectUrl ? redirectUrl.slice(0, MAX_HEADER_KEPT) : null,
      ip: info.geolocate ? info.ip : undefined,
    })
  }

  /** Resolve a visit; synchronous when the code is cached and has no maxVisits. */
  visit(code: string, info: VisitInfo, pixel = false): Outcome | Promise<Outcome> {
    // A code no slug could be is answered before any cache or database.
    const t = isPlausibleCode(code) ? this.resolver.resolve(code) : null
    if (t instanceof Promise) return t.then((target) => this.decide(code, target, info, pixel))
    return this.decide(code, t, info, pixel)
  }

  /** Whether the code exists (QR codes are drawn for any existing link, as Shlink does). */
  async exists(code: string): Promise<boolean> {
    return isPlausibleCode(code) && (await this.resolver.resolve(code)) !== null
  }

  private decide(
    code: string,
    target: RedirectTarget | null,
    info: VisitInfo,
    pixel: boolean,
  ): Outcome | Promise<Outcome> {
    // Not found: the route records the orphan visit, once it knows where the visitor goes instead.
    if (target === null || !isValidNow(target, Date.now())) return NOT_FOUND
    const longUrl =
      target.rules === null ? target.longUrl : (matchRules(target.rules, info, this.locate) ?? target.longUrl)
    const location = pixel ? '' : target.forwardQuery ? mergeQuery(longUrl, info.query) : longUrl
    if (target.maxVisits === null) {
      if (this.trackVisits) this.record(code, target, info, pixel ? null : location, false)
      return { found: true, location }
    }
    return this.store.countVisit(target.id).then((granted): Outcome => {
      if (!granted) {
        this.resolver.exhausted(code)
        return NOT_FOUND
      }
      if (this.trackVisits) this.record(code, target, info, pixel ? null : location, true)
      return { found: true, location }
    })
  }

  private record(
    code: string,
    target: RedirectTarget,
    info: VisitInfo,
    redirectUrl: string | null,
    counted: boolean,
  ): void {
    this.buffer.record(
      target.id,
      code,
      Date.now(),
      info.referer ? info.referer.slice(0, MAX_HEADER_KEPT) : null,
      info.userAgent ? info.userAgent.slice(0, MAX_HEADER_KEPT) : null,
      info.visitedUrl.slice(0, MAX_HEADER_KEPT),
      redirectUrl,
      counted,
      info.geolocate ? info.ip : undefined,
    )
  }
}

export function isValidNow(t: RedirectTarget, now: number): boolean {
  if (t.validSince !== null && now < t.validSince) return false
  if (t.validUntil !== null && now > t.validUntil) return false
  return true
}
