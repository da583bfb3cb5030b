/**
 * What crosses the proxy in each direction. Hop-by-hop headers (RFC 9110 section 7.6.1: Connection
 * and the headers it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*) belong to
 * one connection and are never forwarded. The upstream learns the client through X-Forwarded-For
 * (appended), X-Real-IP and X-Forwarded-Proto/Host/Port/Path/Prefix, which are the gateway's own
 * unless the previous hop is a trusted proxy (GATEWAY_TRUSTED_IPS, Kong's trusted_ips).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { BlockList, isIP } from 'node:net'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

export type HeaderMap = Record<string, string | string[] | undefined>

/** The headers minus the hop-by-hop ones (also those the Connection header names). */
export function endToEnd(headers: IncomingHttpHeaders | HeaderMap): HeaderMap {
  const out: HeaderMap = {}
  const conn = headers.connection
  const named = conn
    ? new Set(
        String(conn)
          .toLowerCase()
          .split(',')
          .map((t) => t.trim()),
      )
    : undefined
  for (const k in headers) {
    if (HOP_BY_HOP.has(k) || named?.has(k)) continue
    out[k] = headers[k]
  }
  return out
}

export class TrustedProxies {
  private readonly list = new BlockList()
  readonly any: boolean

  constructor(entries: readonly string[]) {
    this.any = entries.length > 0
    for (const e of entries) {
      const [addr, bits] = e.split('/')
      const fam = isIP(addr ?? '') === 6 ? 'ipv6' : 'ipv4'
      if (!isIP(addr ?? ''))
        throw new Error(`GATEWAY_TRUSTED_IPS: ${JSON.stringify(e)} is not an address or CIDR`)
      if (bits === undefined) this.list.addAddress(addr!, fam)
      else this.list.addSubnet(addr!, Number(bits), fam)
    }
  }

  trusts(ip: string): boolean {
    if (!this.any) return false
    const plain = ip.startsWith('::ffff:') ? ip.slice(7) : ip
    const fam = isIP(plain)
    return fam !== 0 && this.list.check(plain, fam === 6 ? 'ipv6' : 'ipv4')
  }

  /** The client's address: the socket's, or the nearest untrusted hop of X-Forwarded-For. */
  clientIp(remote: string, xff: string | string[] | undefined): string {
    if (!this.trusts(remote) || !xff) return remote
    const hops = String(xff)
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean)
    for (let i = hops.length - 1; i >= 0; i--) if (!this.trusts(hops[i]!)) return hops[i]!
    return hops[0] ?? remote
  }
}

export interface ForwardFacts {
  remote: string
  clientIp: string
  trusted: boolean
  host: string | undefined
  port: number
  path: string
  prefix: string | undefined
}

/** X-Forwarded-* and X-Real-IP for the upstream, in place. */
export function setForwarded(h: HeaderMap, f: ForwardFacts): void {
  const prior = h['x-forwarded-for']
  h['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${f.remote}` : f.remote
  h['x-real-ip'] = f.clientIp
  if (!f.trusted || !h['x-forwarded-proto']) h['x-forwarded-proto'] = 'http'
  if (!f.trusted || !h['x-forwarded-host']) h['x-forwarded-host'] = f.host?.replace(/:\d+$/, '') ?? ''
  if (!f.trusted || !h['x-forwarded-port']) h['x-forwarded-port'] = String(f.port)
  if (!f.trusted || !h['x-forwarded-path']) h['x-forwarded-path'] = f.path
  if (f.prefix) h['x-forwarded-prefix'] = f.prefix
  else if (!f.trusted) delete h['x-forwarded-prefix']
}
