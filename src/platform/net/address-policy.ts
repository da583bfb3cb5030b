/**
 * Which hosts and addresses are private: the one check behind every untrusted
 * URL (redirect targets, webhooks, HTTP tasks), so that a request made or
 * pointed at on someone's behalf cannot reach loopback, the private network,
 * link-local cloud metadata endpoints or reserved ranges.
 *
 * Addresses are read in every spelling a URL parser or a resolver accepts:
 * IPv4 in decimal, octal or hex and with fewer than four parts
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) or a trailing dot; IPv6
 * with or without brackets and zone, and IPv6 forms that carry an IPv4
 * address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, translated
 * `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:V4::`, Teredo's
 * inverted client address), which are judged by that IPv4 address; the
 * local-use NAT64 prefix `64:ff9b:1::/48` is private as a whole. Names are judged by name only (nothing is resolved here).
 */
import { BlockList, isIPv6 } from 'node:net'

const PRIVATE_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
]

const PRIVATE_V6: readonly (readonly [string, number])[] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): translated inside the network
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
]

const PRIVATE = new BlockList()
for (const [net, prefix] of PRIVATE_V4) PRIVATE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of PRIVATE_V6) PRIVATE.addSubnet(net, prefix, 'ipv6')

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/

/** One IPv4 part as URL parsers read it: decimal, `0x` hex or leading-zero octal; undefined if not a number. */
function ipv4Part(part: string): number | undefined {
  let text = part
  let radix = 10
  if (/^0x/i.test(text)) {
    text = text.slice(2)
    radix = 16
  } else if (text.length > 1 && text.startsWith('0')) {
    text = text.slice(1)
    radix = 8
  }
  if (text === '') return radix === 10 ? undefined : 0
  const digits = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/
  if (!digits.test(text)) return undefined
  const n = Number.parseInt(text, radix)
  return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY
}

/** The dotted-quad form of an IPv4 address in any spelling a URL parser accepts (octal, hex, short, trailing dot), else undefined. */
export function parseIPv4(host: string): string | undefined {
  const parts = host.split('.')
  if (parts.length > 1 && parts.at(-1) === '') parts.pop()
  if (parts.length === 0 || parts.length > 4) return undefined
  const nums: number[] = []
  for (const p of parts) {
    const n = ipv4Part(p)
    if (n === undefined) return undefined
    nums.push(n)
  }
  const last = nums.pop()!
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined
  let value = last
  for (let i = 0; i < nums.length; i++) value += nums[i]! * 256 ** (3 - i)
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/** The eight 16-bit words of a valid IPv6 address (zone dropped), or undefined. */
function ipv6Words(address: string): number[] | undefined {
  let a = address.replace(/%.*$/, '')
  if (!isIPv6(a)) return undefined
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (dotted) {
    const v4 = dotted[2]!.split('.').map(Number)
    a = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`
  }
  const [head, tail] = a.split('::') as [string, string | undefined]
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : [])
  const h = words(head)
  const t = words(tail)
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`

/** The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64, 6to4, Teredo), else undefined. */
function embeddedIPv4(w: readonly number[]): string | undefined {
  // 6to4 (2002:V4::/48) and Teredo's client (2001:0::/32, the last 32 bits inverted) reach that IPv4 host.
  if (w[0] === 0x2002) return v4Of(w[1]!, w[2]!)
  if (w[0] === 0x2001 && w[1] === 0) return v4Of(~w[6]! & 0xffff, ~w[7]! & 0xffff)
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0)
  const carries =
    (zeros(0, 5) && (w[5] === 0xffff || w[5] === 0)) || // ::ffff:a.b.c.d, ::a.b.c.d
    (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) || // ::ffff:0:a.b.c.d
    (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) // 64:ff9b::a.b.c.d
  if (!carries) return undefined
  return v4Of(w[6]!, w[7]!)
}

/** The canonical IP address a host literal denotes (IPv4 in any spelling, IPv6 with or without brackets), or undefined for a name. */
export function ipAddressOf(host: string): string | undefined {
  const h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) return ipv6Words(h.slice(1, -1)) ? h.slice(1, -1) : undefined
  if (ipv6Words(h)) return h
  return parseIPv4(h)
}

/** Whether an IP address (any spelling above) is private, loopback, link-local or reserved; anything that is not an address counts as private. */
export function isPrivateAddress(address: string): boolean {
  const a = ipAddressOf(address)
  if (a === undefined) return true
  const words = a.includes(':') ? ipv6Words(a) : undefined
  if (!words) return PRIVATE.check(a, 'ipv4')
  const v4 = embeddedIPv4(words)
  if (v4 !== undefined) return PRIVATE.check(v4, 'ipv4')
  return PRIVATE.check(words.map((x) => x.toString(16)).join(':'), 'ipv6')
}

/** Whether a host name is local by its name: `localhost`, `*.localhost`, `.local`, `.internal`, `.localdomain`, `home.arpa` (a trailing dot allowed). */
export function isLocalName(host: string): boolean {
  return LOCAL_NAMES.test(host.trim().toLowerCase().replace(/\.$/, ''))
}

/**
 * Whether a URL host names a private target without resolving it: a private
 * address in any spelling, a local name, a single-label name (resolved
 * through the search domains, so inside the network), or a host ending in a
 * number that is not a valid IPv4 address.
 */
export function isPrivateHost(host: string): boolean {
  if (ipAddressOf(host) !== undefined) return isPrivateAddress(host)
  const name = host.trim().toLowerCase().replace(/\.$/, '')
  if (name === '' || name.startsWith('[')) return true
  const last = name.split('.').at(-1)!
  if (/^(\d+|0x[0-9a-f]*)$/.test(last)) return true
  return isLocalName(name) || !name.includes('.')
}
