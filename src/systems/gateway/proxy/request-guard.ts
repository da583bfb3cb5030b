/**
 * What a request must be before it is routed, beyond what Node's HTTP parser (llhttp, strict mode)
 * already refuses (Content-Length with Transfer-Encoding, two differing Content-Lengths, obs-fold,
 * bare CR or LF and other control characters in headers: all answered 400 by `clientError`).
 *
 * Refused here, with 400: a target that is not a plain path (absolute-form, `*`), a path with an
 * encoded slash, backslash or NUL, bad percent-encoding, or a dot segment (raw or encoded): each is a
 * way to make the gateway route a path the upstream reads differently ("/public/..%2fadmin").
 * A Transfer-Encoding other than exactly `chunked`, two Host headers, or two Content-Length headers
 * (even equal) are refused too: the upstream's parser might read them otherwise.
 */
import type { IncomingMessage } from 'node:http'

export type Guarded =
  | { ok: true; path: string; query: string }
  | { ok: false; status: number; reason: string }

const UNRESERVED = /%(2[dD]|2[eE]|5[fF]|7[eE]|[46][1-9a-fA-F]|[57][0-9aA]|3[0-9])/g

function countRaw(req: IncomingMessage, name: string): number {
  let n = 0
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) n++
  return n
}

export function guardRequest(req: IncomingMessage): Guarded {
  const url = req.url ?? ''
  if (!url.startsWith('/')) return { ok: false, status: 400, reason: 'the request target must be a path' }
  const q = url.indexOf('?')
  const rawPath = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)
  if (rawPath.includes('#') || query.includes('#'))
    return { ok: false, status: 400, reason: 'fragment in request target' }
  if (/%(2f|5c|00)/i.test(rawPath) || rawPath.includes('\\'))
    return { ok: false, status: 400, reason: 'encoded slash, backslash or NUL in path' }
  if (/%(?![0-9a-fA-F]{2})/.test(rawPath))
    return { ok: false, status: 400, reason: 'invalid percent-encoding in path' }
  // Decode only unreserved characters (RFC 3986 section 6.2.2.2): same resource, one spelling.
  const path = rawPath.includes('%')
    ? rawPath.replace(UNRESERVED, (m) => String.fromCharCode(Number.parseInt(m.slice(1), 16)))
    : rawPath
  if (/(^|\/)\.\.?(\/|$)/.test(path)) return { ok: false, status: 400, reason: 'dot segment in path' }
  const te = req.headers['transfer-encoding']
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked')
    return { ok: false, status: 400, reason: 'unsupported Transfer-Encoding' }
  if (countRaw(req, 'host') > 1) return { ok: false, status: 400, reason: 'more than one Host header' }
  if (req.headers['content-length'] !== undefined && countRaw(req, 'content-length') > 1)
    return { ok: false, status: 400, reason: 'more than one Content-Length header' }
  return { ok: true, path, query }
}
