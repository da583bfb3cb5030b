/**
 * Which long URLs may be shortened. A shortener is an open redirect by
 * design, so the targets are checked: http(s) only (no `javascript:`,
 * `data:`, `file:`), at most 2,048 characters, not this shortener itself
 * (a link to a short URL would loop or chain), and, unless configured,
 * not private, loopback or link-local addresses (a short link must not
 * point browsers at a victim's router or at cloud metadata endpoints).
 *
 * Host names are not resolved: the shortener never fetches the target, the
 * visitor's browser does, and a DNS answer checked now could change before
 * the visit anyway. Literal addresses in every spelling the URL parser
 * accepts (`http://2130706433/`, `http://0x7f.1/`, `[::ffff:127.0.0.1]`)
 * are normalized by WHATWG URL parsing, and judged by the platform's
 * address policy (src/platform/net/address-policy.ts).
 */
import { isPrivateHost } from '../../platform/net/address-policy.js'

/** The platform's check (src/platform/net/address-policy.ts), re-exported for this system's callers. */
export { isPrivateHost }

export const MAX_URL_LENGTH = 2048

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string }

export interface UrlPolicyOptions {
  /** Hosts that are this shortener (`host` or `host:port`; any port of the name is refused). */
  ownHosts: () => readonly string[]
  allowPrivateTargets: boolean
}

export function checkLongUrl(raw: string, opts: UrlPolicyOptions): UrlCheck {
  const input = raw.trim()
  if (input.length === 0) return { ok: false, reason: 'the URL is empty' }
  if (input.length > MAX_URL_LENGTH)
    return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters` }
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return { ok: false, reason: 'the URL is not an absolute URL' }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `the scheme ${url.protocol} is not allowed (http and https only)` }
  if (!url.hostname) return { ok: false, reason: 'the URL has no host' }
  // Normalized form: what we store and redirect to (escapes non-ASCII, lower-cases the host).
  const href = url.href
  if (href.length > MAX_URL_LENGTH)
    return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters once encoded` }
  // Any port of our host name counts as us: a loop through another port is still a loop.
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '')
  const own = opts.ownHosts().map((h) => h.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, ''))
  if (own.includes(hostname))
    return { ok: false, reason: 'the URL points at this shortener (a redirect loop)' }
  if (!opts.allowPrivateTargets && isPrivateHost(url.hostname))
    return { ok: false, reason: 'the URL points at a private, loopback or local address' }
  return { ok: true, url: href }
}
