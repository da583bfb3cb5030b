/**
 * The proxy listener: Kong's error bodies, forwarding (paths, hop-by-hop headers, X-Forwarded-*),
 * bodies streamed both ways, per-service timeouts, and an unreachable upstream.
 */
import { Readable } from 'node:stream'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  type Json,
  rawRequest,
  type Upstream,
  upstream,
} from '../testing.js'

describe('gateway proxy', () => {
  let up: Upstream
  let slow: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    up = await upstream('echo')
    slow = await upstream('slow')
    slow.delayMs = 3_000
    const file = await configFile({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          url: `${up.url}/base`,
          routes: [{ name: 'echo-route', paths: ['/echo'] }],
        },
        {
          name: 'slow',
          url: slow.url,
          read_timeout: 300,
          retries: 0,
          routes: [{ name: 'slow-route', paths: ['/slow'] }],
        },
        {
          name: 'dead',
          url: 'http://127.0.0.1:1',
          retries: 1,
          routes: [{ name: 'dead-route', paths: ['/dead'] }],
        },
      ],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
    await slow?.close()
  })

  it("answers a path no route matches with Kong's 404 body", async () => {
    const res = await request(`${gw.proxy}/nowhere`)
    expect(res.statusCode).toBe(404)
    const body = (await res.body.json()) as Json
    expect(body.message).toBe('no Route matched with those values')
    expect(res.headers['content-type']).toContain('application/json')
  })

  it('strips the route path, prepends the service path, keeps the query', async () => {
    const res = await request(`${gw.proxy}/echo/items/7?x=1&y=%20`)
    expect(res.statusCode).toBe(200)
    const seen = (await res.body.json()) as Json
    expect(seen.url).toBe('/base/items/7?x=1&y=%20')
    expect(res.headers['x-upstream']).toBe('echo')
    expect(res.headers.via).toContain('blueprints-gateway')
  })

  it('drops hop-by-hop headers both ways and sets X-Forwarded-*', async () => {
    // Raw bytes: HTTP clients will not send a Connection header naming other headers.
    const raw = await rawRequest(
      gw.proxy,
      'GET /echo/h HTTP/1.1\r\nHost: api.example.com:8443\r\nConnection: close, X-Drop-Me\r\nX-Drop-Me: secret\r\n' +
        'Proxy-Authorization: Basic abc\r\nTE: trailers\r\nX-Keep-Me: yes\r\nX-Forwarded-For: 203.0.113.9\r\n' +
        'X-Forwarded-Host: spoofed.example\r\n\r\n',
    )
    const [head, body] = raw.split('\r\n\r\n')
    const seen = JSON.parse(body!) as Json
    expect(seen.headers['x-drop-me']).toBeUndefined()
    expect(seen.headers['proxy-authorization']).toBeUndefined()
    expect(seen.headers.te).toBeUndefined()
    expect(seen.headers['x-keep-me']).toBe('yes')
    // Appended to what the client sent, as nginx's $proxy_add_x_forwarded_for does.
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1')
    // Not a trusted proxy: the client's own X-Forwarded-Host is replaced.
    expect(seen.headers['x-forwarded-host']).toBe('api.example.com')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['x-forwarded-prefix']).toBe('/echo')
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1')
    // preserve_host is false: the upstream sees its own host.
    expect(seen.headers.host).toBe(`127.0.0.1:${up.port}`)
    // The upstream's Keep-Alive header is its own connection's business.
    expect(head!.toLowerCase()).not.toContain('keep-alive: timeout')
  })

  it('streams a chunked request body to the upstream', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => `part-${i};`)
    async function* gen() {
      for (const p of parts) yield Buffer.from(p)
    }
    const res = await request(`${gw.proxy}/echo/upload`, { method: 'POST', body: Readable.from(gen()) })
    const seen = (await res.body.json()) as Json
    expect(seen.body).toBe(parts.join(''))
    // Chunked while it streams; undici frames it with Content-Length instead when the whole body
    // had already arrived by the time the upstream call started (a loaded machine): same bytes.
    if (seen.headers['transfer-encoding'] !== 'chunked')
      expect(seen.headers['content-length']).toBe(String(parts.join('').length))
  })

  it('streams a response as it comes (server-sent events)', async () => {
    const res = await request(`${gw.proxy}/echo/sse`)
    expect(res.headers['content-type']).toBe('text/event-stream')
    const events: string[] = []
    for await (const chunk of res.body) events.push(...String(chunk).split('\n\n').filter(Boolean))
    expect(events).toEqual(['data: 1', 'data: 2', 'data: 3'])
  })

  it("answers 504 with Kong's body when the upstream is slower than read_timeout", async () => {
    const res = await request(`${gw.proxy}/slow/x`)
    expect(res.statusCode).toBe(504)
    expect(((await res.body.json()) as Json).message).toBe('The upstream server is timing out')
  })

  it("answers 502 with Kong's body when the upstream refuses connections", async () => {
    const res = await request(`${gw.proxy}/dead/x`)
    expect(res.statusCode).toBe(502)
    expect(((await res.body.json()) as Json).message).toBe(
      'An invalid response was received from the upstream server',
    )
  })
})
