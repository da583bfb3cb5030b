/**
 * Requests built to make the gateway and the upstream disagree: request smuggling (Content-Length
 * with Transfer-Encoding, two Content-Lengths, obfuscated Transfer-Encoding, obs-fold), header
 * injection (CR/LF, NUL, bad names), routing tricks (encoded slash, dot segments, backslash,
 * absolute-form targets), oversized heads. Each gets a 4xx and the upstream never sees a request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  rawRequest,
  type Upstream,
  upstream,
} from '../testing.js'

describe('gateway bad input', () => {
  let up: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    up = await upstream('victim')
    const file = await configFile({
      _format_version: '3.0',
      services: [
        { name: 'public', url: up.url, routes: [{ name: 'public', paths: ['/public'] }] },
        // /admin is routed nowhere: a trick that reached it through /public would show in `seen`.
      ],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file, GATEWAY_MAX_HEADER_BYTES: '4096' })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
  })

  const CASES: [string, string][] = [
    [
      'CL and TE together',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /public/smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc',
    ],
    [
      'two equal Content-Lengths',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
    ],
    [
      'an obfuscated Transfer-Encoding',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    [
      'Transfer-Encoding: chunked, identity',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    [
      'a space before the colon',
      'POST /public/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    ['obs-fold', 'GET /public/a HTTP/1.1\r\nHost: x\r\nX-Long: first\r\n second\r\n\r\n'],
    ['a bare LF inside a header', 'GET /public/a HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-Injected: 1\r\n\r\n'],
    ['a NUL in a header value', 'GET /public/a HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    ['a bad header name', 'GET /public/a HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n'],
    ['two Host headers', 'GET /public/a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'],
    ['no Host header', 'GET /public/a HTTP/1.1\r\n\r\n'],
    ['an encoded slash', 'GET /public/..%2fadmin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an encoded slash, lower case', 'GET /public%2f..%2fadmin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a dot-dot segment', 'GET /public/../admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an encoded dot-dot segment', 'GET /public/%2e%2e/admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a dot segment', 'GET /public/./a HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a backslash', 'GET /public\\..\\admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an encoded NUL', 'GET /public/a%00.json HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['bad percent-encoding', 'GET /public/%zz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an absolute-form target', 'GET http://internal.example/public/a HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an oversized head', `GET /public/a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`],
  ]

  it.each(CASES)('refuses %s with a 4xx; the upstream sees nothing', async (_name, bytes) => {
    const before = up.seen.length
    const answer = await rawRequest(gw.proxy, bytes)
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
    expect(status, answer.slice(0, 200)).toBeGreaterThanOrEqual(400)
    expect(status, answer.slice(0, 200)).toBeLessThan(500)
    // Only one answer: nothing smuggled behind the first request was answered.
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1)
    expect(up.seen.length).toBe(before)
  })

  it('still proxies a well-formed request on the same listener', async () => {
    const answer = await rawRequest(
      gw.proxy,
      'GET /public/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 200/)
    expect(up.seen.at(-1)?.url).toBe('/ok')
  })
})
