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
 * are normalized by WHATWG URL parsing before the check.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net'

export const MAX_URL_LENGTH = 2048

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string }

export interface UrlPolicyOptions {
  /** Hosts that are this shortener (`host` or `host:port`; any port of the name is refused). */
  ownHosts: () => readonly string[]
  allowPrivateTargets: boolean
}

const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6')

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/

/** Whether a URL host names a private, loopback, link-local or otherwise local target. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (isIPv4(host)) return PRIVATE.check(host, 'ipv4')
  if (isIPv6(host)) {
    // IPv4-mapped (::ffff:a.b.c.d, which the URL parser writes as ::ffff:xxxx:yyyy).
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
    if (mapped) {
      const hi = Number.parseInt(mapped[1]!, 16)
      const lo = Number.parseInt(mapped[2]!, 16)
      return PRIVATE.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4')
    }
    return PRIVATE.check(host, 'ipv6')
  }
  return LOCAL_NAMES.test(host.replace(/\.$/, '')) || !host.includes('.')
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
