/**
 * Which URLs an HTTP task may call. The queue makes requests on behalf of
 * whoever can enqueue, so a target is untrusted input (SSRF): http(s) only,
 * and no private, loopback, link-local or otherwise local address unless its
 * `host:port` is listed in JOBS_ALLOWED_TARGETS.
 *
 * Two checks, one policy (src/platform/net): at enqueue through REST, for a
 * clear 4xx naming the reason; and at connect time, by the guarded agent
 * (src/platform/net/guarded-agent.ts) every request goes through, on the
 * address actually dialled. The second is the one that protects: it also
 * covers jobs added through SQL `add_job()` (which no enqueue check sees), IP
 * literals, and a DNS answer that changed since enqueue (rebinding).
 */

import { JobsErrors } from '../../platform/jobs/errors.js'
import { isLocalName } from '../../platform/net/address-policy.js'
import { checkedAddress, type Resolver } from '../../platform/net/guarded-agent.js'

export interface TargetPolicy {
  /** `host:port` entries allowed although private (lower-case). */
  allowed: ReadonlySet<string>
  /** Resolver (tests inject one). */
  resolve?: Resolver
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

/** Check a target at enqueue: allowed, or resolving only to public addresses. Throws JOBS_FORBIDDEN/UNREACHABLE_TARGET. */
export async function checkTarget(target: Target, policy: TargetPolicy): Promise<void> {
  if (policy.allowed.has(target.hostPort)) return
  const host = target.url.hostname.replace(/^\[|\]$/g, '')
  if (isLocalName(host))
    throw JobsErrors.forbiddenTarget(
      `${target.hostPort} is a local name; list it in JOBS_ALLOWED_TARGETS to allow it`,
    )
  try {
    await checkedAddress(target.url.hostname, target.hostPort, policy)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EFORBIDDENADDRESS')
      throw JobsErrors.forbiddenTarget(
        `${e.message}; list ${target.hostPort} in JOBS_ALLOWED_TARGETS to allow it`,
      )
    throw JobsErrors.unreachableTarget(`${host} does not resolve (${e.code ?? 'error'})`)
  }
}
