/**
 * Domains and their "not found" redirects, as Shlink has them: a visit that
 * finds no short URL goes to the redirect configured for the host it came
 * to (the request's authority), else to the server-wide default
 * (URL_SHORTENER_*_REDIRECT), else gets a 404. Three kinds, one per orphan
 * visit type: the base URL (`/`), an unknown short code, any other path.
 *
 * Short URLs themselves live on the default domain only (a `domain` other
 * than it is refused on create); domains exist here for their redirects,
 * created by the first `PATCH /rest/v3/domains/redirects` that names one.
 *
 * The redirect path reads a snapshot in memory (all domains: a small
 * table), reloaded every few seconds by a Worker: a change made through
 * another process applies here within URL_SHORTENER_DOMAINS_REFRESH_MS,
 * one made through this process at once.
 */
import { isIP } from 'node:net'
import type { Worker } from '../../platform/system.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { DomainRow, DomainStore, NotFoundRedirects, OrphanVisitType } from './ports.js'
import { ShlinkErrors } from './shlink-errors.js'
import { checkLongUrl, type UrlPolicyOptions } from './url-policy.js'

export const NO_REDIRECTS: NotFoundRedirects = Object.freeze({
  baseUrlRedirect: null,
  regular404Redirect: null,
  invalidShortUrlRedirect: null,
})

const FIELD: Record<OrphanVisitType, keyof NotFoundRedirects> = {
  base_url: 'baseUrlRedirect',
  invalid_short_url: 'invalidShortUrlRedirect',
  regular_404: 'regular404Redirect',
}

/** A domain name (labels of letters, digits and `-`, a top-level label that is not all digits). */
const DOMAIN_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/

/**
 * Shlink's host-and-port check of a domain's authority: `localhost`, an IP address or a domain
 * name, then an optional port 1-65535. Lower-cased; null when it is not one.
 */
export function normalizeAuthority(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const text = raw.trim().toLowerCase()
  const parts = text.split(':')
  if (parts.length > 2) return null
  const [host = '', port] = parts
  const hostOk = host === 'localhost' || isIP(host) === 4 || DOMAIN_NAME.test(host)
  if (!hostOk) return null
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535))
    return null
  return text
}

/**
 * `{DOMAIN}` and `{ORIGINAL_PATH}` in a redirect, as Shlink fills them: raw in the path (with `//`
 * collapsed), percent-encoded in the query.
 */
export function fillPlaceholders(redirect: string, authority: string, path: string): string {
  if (!redirect.includes('%7B') && !redirect.includes('{')) return redirect
  const hashAt = redirect.indexOf('#')
  const beforeHash = hashAt >= 0 ? redirect.slice(0, hashAt) : redirect
  const hash = hashAt >= 0 ? redirect.slice(hashAt) : ''
  const queryAt = beforeHash.indexOf('?')
  const head = queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash
  const query = queryAt >= 0 ? beforeHash.slice(queryAt) : ''
  const schemeEnd = head.indexOf('://') + 3
  const pathAt = head.indexOf('/', schemeEnd)
  const origin = pathAt >= 0 ? head.slice(0, pathAt) : head
  // URL parsing escapes braces in the path and leaves them in the query: fill both spellings.
  const fill = (text: string, f: (v: string) => string) =>
    text
      .replace(/%7BDOMAIN%7D|\{DOMAIN\}/g, () => f(authority))
      .replace(/%7BORIGINAL_PATH%7D|\{ORIGINAL_PATH\}/g, () => f(path))
  const newPath = pathAt >= 0 ? fill(head.slice(pathAt), (v) => v).replace(/\/{2,}/g, '/') : ''
  return `${origin}${newPath}${fill(query, encodeURIComponent)}${hash}`
}

export interface DomainsOptions {
  store: DomainStore
  defaultDomain: () => string
  /** The server-wide redirects (URL_SHORTENER_*_REDIRECT): Shlink's `defaultRedirects`. */
  defaults: NotFoundRedirects
  policy: UrlPolicyOptions
  refreshMs: number
  log: Logger
}

export class Domains implements Worker {
  readonly name = 'url-shortener:domains-refresh'
  private snapshot = new Map<string, NotFoundRedirects>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly o: DomainsOptions) {}

  get defaults(): NotFoundRedirects {
    return this.o.defaults
  }

  async start(): Promise<void> {
    await this.reload()
    this.timer = setInterval(() => {
      this.reload().catch((err) => this.o.log.warn({ err }, 'reloading domain redirects failed'))
    }, this.o.refreshMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
  }

  async reload(): Promise<void> {
    const rows = await this.o.store.all()
    this.snapshot = new Map(rows.map((r) => [r.authority, r.redirects]))
  }

  /** Where a "not found" visit of `type` to `authority` goes (placeholders filled), or null. */
  redirectFor(type: OrphanVisitType, authority: string | undefined, path: string): string | null {
    const field = FIELD[type]
    const host = (authority ?? this.o.defaultDomain()).toLowerCase()
    const target = this.snapshot.get(host)?.[field] ?? this.o.defaults[field]
    return target === null ? null : fillPlaceholders(target, host, path)
  }

  /** Shlink's domain list: the default domain first, then every other domain by name. */
  async list(): Promise<{ domain: string; isDefault: boolean; redirects: NotFoundRedirects }[]> {
    await this.reload()
    const def = this.o.defaultDomain().toLowerCase()
    const out = [{ domain: def, isDefault: true, redirects: this.snapshot.get(def) ?? NO_REDIRECTS }]
    for (const [domain, redirects] of this.snapshot)
      if (domain !== def) out.push({ domain, isDefault: false, redirects })
    return out
  }

  /** Whether visits can be listed for `domain` (`DEFAULT`, the default domain, or a known one). */
  async kind(domain: string): Promise<'default' | 'other' | 'unknown'> {
    const name = domain.toLowerCase()
    if (domain === 'DEFAULT' || name === this.o.defaultDomain().toLowerCase()) return 'default'
    await this.reload()
    return this.snapshot.has(name) ? 'other' : 'unknown'
  }

  /** `PATCH /domains/redirects`: validate, merge, store; the domain's redirects after the change. */
  async setRedirects(body: unknown): Promise<NotFoundRedirects> {
    const b = (body ?? {}) as Record<string, unknown>
    const invalid: string[] = []
    const reasons: string[] = []
    const authority = normalizeAuthority(b.domain)
    if (authority === null) {
      invalid.push('domain')
      reasons.push('domain must be a host name or IP address with an optional port')
    }
    const patch: Partial<NotFoundRedirects> = {}
    for (const field of Object.values(FIELD)) {
      const v = b[field]
      if (v === undefined) continue
      if (v === null) {
        patch[field] = null
        continue
      }
      // An operator may send visitors to their own domain (a landing short URL); private targets stay refused.
      const check =
        typeof v === 'string' ? checkLongUrl(v, { ...this.o.policy, ownHosts: () => [] }) : undefined
      if (check?.ok) patch[field] = check.url
      else {
        invalid.push(field)
        reasons.push(`${field}: ${check ? check.reason : 'must be a URL or null'}`)
      }
    }
    if (invalid.length > 0) throw ShlinkErrors.invalidData(invalid, reasons.join('; '))
    const row: DomainRow = await this.o.store.upsertRedirects(authority!, patch)
    this.snapshot.set(row.authority, row.redirects)
    return row.redirects
  }
}
