/**
 * Which long URLs may be shortened. A shortener is an open redirect by
 * design, so the targets are checked.
 *
 * Schemes, as Shlink 4 accepts them (any `scheme:rest`), except three kinds:
 * - accepted: `http`, `https`, and deep links a phone or desktop hands to an
 *   app: `mailto:`, `tel:`, `sms:`, `geo:`, `myapp://path`, `fb://profile/1`,
 *   `intent://...`. The browser that follows the redirect asks the OS for the
 *   app; the redirect itself is as harmless as a link on a web page.
 * - refused, `javascript:` and `vbscript:`: code, not a place. Browsers ignore
 *   them in a `Location`, but every client that lists links renders the long
 *   URL as an anchor (Shlink's web client does): one click runs the script in
 *   that client's origin, with its API key at hand. Stored XSS.
 * - refused, `data:`: a whole page inside the URL, the classic phishing
 *   carrier (a login form with no host to report or block). Browsers refuse
 *   top-level navigation to it, so it never works as a target anyway.
 * - refused, `file:` (Shlink accepts it): a path on the visitor's own disk;
 *   browsers refuse to follow a web page's redirect there, so it can only
 *   fail or, in a client that renders it, probe local files. Also refused:
 *   `blob:`, `filesystem:` (bound to the origin that made them) and `about:`.
 *
 * Web (special-scheme) URLs must name a host, at most 2,048 characters, not
 * this shortener itself (a link to a short URL would loop or chain), and,
 * unless configured, not private, loopback or link-local addresses (a short
 * link must not point browsers at a victim's router or at cloud metadata
 * endpoints). A deep link's "host" names an app screen, not a machine, so
 * those checks do not apply to it.
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

/** Schemes that name a network host: the host checks below apply to them. */
const WEB_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp'])

/** Schemes never accepted, and why (the module comment says more). */
const REFUSED_SCHEMES: ReadonlyMap<string, string> = new Map([
  ['javascript', 'script, not a place'],
  ['vbscript', 'script, not a place'],
  ['data', 'a page inside the URL'],
  ['file', "a path on the visitor's disk"],
  ['blob', 'bound to the page that made it'],
  ['filesystem', 'bound to the page that made it'],
  ['about', 'a browser-internal page'],
])

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
  const scheme = url.protocol.slice(0, -1)
  if (REFUSED_SCHEMES.has(scheme))
    return { ok: false, reason: `the scheme ${url.protocol} is not allowed (${REFUSED_SCHEMES.get(scheme)})` }
  // Normalized form: what we store and redirect to (escapes non-ASCII, lower-cases the host).
  const href = url.href
  if (href.length > MAX_URL_LENGTH)
    return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters once encoded` }
  if (!WEB_SCHEMES.has(scheme)) {
    // A deep link: `scheme:` followed by something (Shlink's "loose URI"), nothing else to check.
    if (href.length <= url.protocol.length) return { ok: false, reason: `the ${url.protocol} link is empty` }
    // `example.com:8080/x` parses as scheme `example.com`: a web address without its `https://`.
    if (/^\d+(?:[/?#]|$)/.test(href.slice(url.protocol.length)))
      return { ok: false, reason: 'the URL is a host and port without a scheme (add https://)' }
    return { ok: true, url: href }
  }
  if (!url.hostname) return { ok: false, reason: 'the URL has no host' }
  // Any port of our host name counts as us: a loop through another port is still a loop.
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '')
  const own = opts.ownHosts().map((h) => h.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, ''))
  if (own.includes(hostname))
    return { ok: false, reason: 'the URL points at this shortener (a redirect loop)' }
  if (!opts.allowPrivateTargets && isPrivateHost(url.hostname))
    return { ok: false, reason: 'the URL points at a private, loopback or local address' }
  return { ok: true, url: href }
}
