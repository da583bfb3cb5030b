/**
 * Outbound HTTP to untrusted URLs (webhooks, HTTP job targets), checked at
 * the moment of connecting: the address actually dialled, not the URL's
 * spelling and not an answer seen earlier.
 *
 * Why here and not in a DNS lookup hook: Node never calls a socket's
 * `lookup` for an IP literal, so a hook lets `http://127.0.0.1:6379/` and
 * `http://169.254.169.254/` straight through. This undici connector instead
 * resolves the host itself (IP literals included, every DNS answer checked,
 * the whole answer refused if any address is private), then dials the
 * checked address, so nothing resolves the name a second time between the
 * check and the connect (DNS rebinding). The socket's remote address is
 * checked once more when it connects. Redirects are not followed (undici's
 * Agent does not), so a public target cannot bounce the request inward.
 *
 * `host:port` entries an operator listed (an allow-list such as
 * JOBS_ALLOWED_TARGETS) are trusted and may be private; everything else is
 * judged by the address policy (address-policy.ts).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type Socket } from 'node:net'
import { Agent, buildConnector } from 'undici'
import { ipAddressOf, isPrivateAddress } from './address-policy.js'

/** Resolve a name to every address it has (IPv4 and IPv6, in the resolver's order). */
export type Resolver = (host: string) => Promise<string[]>

export interface DialPolicy {
  /** `host:port` pairs (lower-case, the host as the URL writes it) trusted although private. */
  allowed?: ReadonlySet<string>
  /** Resolver; tests inject one to play a DNS answer. */
  resolve?: Resolver
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs?: number
}

/** A dial refused by the address policy (the error a request through the agent fails with). */
export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError'
  readonly code = 'EFORBIDDENADDRESS'
}

/** Every address `host` resolves to, through the system resolver. */
export const resolveAll: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addrs: LookupAddress[]) =>
      err ? reject(err) : resolve(addrs.map((a) => a.address)),
    ),
  )

/** `host:port` as an allow-list writes it: the URL's host in lower case, the scheme's default port filled in. */
export function hostPortOf(hostname: string, port: string | number | undefined, protocol: string): string {
  const p = port === undefined || port === '' ? (protocol === 'https:' ? '443' : '80') : String(port)
  return `${hostname.toLowerCase()}:${p}`
}

/**
 * The address to dial for `hostname` under `policy`: the host itself when it
 * is allowed, else its checked address. Rejects with ForbiddenAddressError
 * when the literal, or any address the name resolves to, is private.
 */
export async function checkedAddress(
  hostname: string,
  hostPort: string,
  policy: DialPolicy,
): Promise<{ address: string; trusted: boolean }> {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (policy.allowed?.has(hostPort)) return { address: host, trusted: true }
  const literal = ipAddressOf(host)
  if (literal !== undefined) {
    if (isPrivateAddress(literal))
      throw new ForbiddenAddressError(`${hostPort} is a private, loopback or link-local address`)
    return { address: literal, trusted: false }
  }
  const addrs = await (policy.resolve ?? resolveAll)(host)
  if (addrs.length === 0) throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' })
  const bad = addrs.find(isPrivateAddress)
  if (bad !== undefined)
    throw new ForbiddenAddressError(`${host} resolves to ${bad}, a private, loopback or link-local address`)
  return { address: addrs[0]!, trusted: false }
}

/** An undici connector that dials only addresses the policy allows. */
export function guardedConnector(policy: DialPolicy): buildConnector.connector {
  const base = buildConnector({ timeout: policy.connectTimeoutMs ?? 10_000 })
  return (opts, callback) => {
    const hostPort = hostPortOf(opts.hostname, opts.port, opts.protocol)
    checkedAddress(opts.hostname, hostPort, policy).then(
      ({ address, trusted }) => {
        // `host` stays the URL's, so TLS still names (SNI) and verifies the name, not the address.
        base({ ...opts, hostname: address }, (err, socket) => {
          if (err || !socket) return callback(err ?? new Error('connect failed'), null)
          const remote = (socket as Socket).remoteAddress
          if (!trusted && (remote === undefined || isIP(remote) === 0 || isPrivateAddress(remote))) {
            socket.destroy()
            return callback(
              new ForbiddenAddressError(`${hostPort} connected to ${remote}, a private address`),
              null,
            )
          }
          callback(null, socket)
        })
      },
      (err: Error) => callback(err, null),
    )
  }
}

/** An undici Agent for untrusted URLs: every connection it opens goes through guardedConnector. */
export function guardedAgent(policy: DialPolicy, options: Omit<Agent.Options, 'connect'> = {}): Agent {
  return new Agent({ ...options, connect: guardedConnector(policy) })
}
