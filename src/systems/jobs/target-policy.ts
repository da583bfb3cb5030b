/**
 * Which URLs an HTTP task may call. The queue makes requests on behalf of
 * whoever can enqueue, so a target is untrusted input (SSRF): http(s) only,
 * and no private, loopback, link-local or otherwise local address unless its
 * `host:port` is listed in JOBS_ALLOWED_TARGETS. Names are resolved and
 * every address checked, at enqueue (a clear 4xx) and again at connect time
 * through the socket's own lookup, so a DNS answer that changes in between
 * (rebinding) cannot slip through. What counts as private is the platform's
 * address policy (src/platform/net/address-policy.ts), shared with the URL
 * shortener.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { ipAddressOf, isLocalName, isPrivateAddress } from '../../platform/net/address-policy.js'
import { JobsErrors } from './errors.js'

export interface TargetPolicy {
  /** `host:port` entries allowed although private (lower-case). */
  allowed: ReadonlySet<string>
  /** Resolver (tests inject one). */
  lookup?: (host: string) => Promise<string[]>
}

/** A parsed, checked target URL. */
export interface Target {
  url: URL
  hostPort: string
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80')
}

/** Parse and check a target URL's form (scheme, host); throws a 4xx AppError. */
export function parseTarget(raw: unknown): Target {
  if (typeof raw !== 'string' || raw.length === 0)
    throw JobsErrors.invalid('payload.url', 'must be a URL string')
  if (raw.length > 2048) throw JobsErrors.invalid('payload.url', 'is longer than 2048 characters')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw JobsErrors.invalid('payload.url', 'is not an absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw JobsErrors.forbiddenTarget(`the scheme ${url.protocol} is not allowed (http and https only)`)
  if (url.username || url.password) throw JobsErrors.invalid('payload.url', 'must not carry credentials')
  return { url, hostPort: `${url.hostname.toLowerCase()}:${defaultPort(url)}` }
}

export function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addrs: LookupAddress[]) =>
      err ? reject(err) : resolve(addrs.map((a) => a.address)),
    ),
  )
}

/** Check a target: allowed, or resolving only to public addresses. Throws JOBS_FORBIDDEN/UNREACHABLE_TARGET. */
export async function checkTarget(target: Target, policy: TargetPolicy): Promise<void> {
  if (policy.allowed.has(target.hostPort)) return
  const host = target.url.hostname.replace(/^\[|\]$/g, '')
  if (ipAddressOf(host) !== undefined) {
    if (isPrivateAddress(host))
      throw JobsErrors.forbiddenTarget(
        `${target.hostPort} is a private or loopback address; list it in JOBS_ALLOWED_TARGETS to allow it`,
      )
    return
  }
  if (isLocalName(host))
    throw JobsErrors.forbiddenTarget(
      `${target.hostPort} is a local name; list it in JOBS_ALLOWED_TARGETS to allow it`,
    )
  let addrs: string[]
  try {
    addrs = await (policy.lookup ?? resolveAll)(host)
  } catch (err) {
    throw JobsErrors.unreachableTarget(
      `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  if (addrs.length === 0) throw JobsErrors.unreachableTarget(`${host} does not resolve`)
  if (addrs.some(isPrivateAddress))
    throw JobsErrors.forbiddenTarget(
      `${host} resolves to a private or loopback address; list ${target.hostPort} in JOBS_ALLOWED_TARGETS to allow it`,
    )
}
