/**
 * The plugins through the proxy, configured as Kong configures them: jwt (HS256 and RS256 secrets,
 * claims), openid-connect (an issuer's JWKS through platform/auth), correlation-id, cors,
 * request-size-limiting, ip-restriction, rate-limiting by header, and Kong's precedence (a
 * consumer's own rate limit over the route's).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  type Json,
  type Upstream,
  upstream,
} from '../testing.js'

const HS_SECRET = 'a-shared-secret-of-the-consumer-0001'

describe('gateway plugins', () => {
  let up: Upstream
  let gw: GatewayClient
  let idp: Server
  let issuer: string
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>
  let oidc: Awaited<ReturnType<typeof generateKeyPair>>

  beforeAll(async () => {
    up = await upstream('plugins-up')
    rsa = await generateKeyPair('RS256')
    oidc = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(oidc.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    idp = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }))
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }))
    })
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r))
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`
    const file = await configFile({
      _format_version: '3.0',
      services: [
        {
          name: 'api',
          url: up.url,
          routes: [
            {
              name: 'jwt',
              paths: ['/jwt'],
              plugins: [{ name: 'jwt', config: { claims_to_verify: ['exp'] } }],
            },
            {
              name: 'oidc',
              paths: ['/oidc'],
              plugins: [
                {
                  name: 'openid-connect',
                  config: {
                    issuer,
                    audience_required: ['api'],
                    scopes_required: ['read'],
                    jwks_uri: `${issuer}/jwks`,
                  },
                },
              ],
            },
            {
              name: 'misc',
              paths: ['/misc'],
              plugins: [
                {
                  name: 'correlation-id',
                  config: { header_name: 'X-Request-Id', generator: 'uuid', echo_downstream: true },
                },
                {
                  name: 'cors',
                  config: {
                    origins: ['https://app.example.com', 'https://.*\\.example\\.org'],
                    methods: ['GET', 'POST'],
                    max_age: 600,
                    credentials: true,
                  },
                },
                { name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } },
              ],
            },
            {
              name: 'denied',
              paths: ['/denied'],
              plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.0/8'] } }],
            },
            {
              name: 'limited',
              paths: ['/limited'],
              plugins: [
                { name: 'key-auth' },
                { name: 'rate-limiting', config: { hour: 2, policy: 'local' } },
              ],
            },
            {
              name: 'by-header',
              paths: ['/by-header'],
              plugins: [
                { name: 'rate-limiting', config: { hour: 1, limit_by: 'header', header_name: 'x-tenant' } },
              ],
            },
          ],
        },
      ],
      consumers: [
        {
          username: 'hs-user',
          jwt_secrets: [{ key: 'hs-issuer', secret: HS_SECRET, algorithm: 'HS256' }],
          keyauth_credentials: [{ key: 'hs-key' }],
        },
        {
          username: 'vip',
          custom_id: 'vip-sub',
          jwt_secrets: [
            { key: 'rs-issuer', algorithm: 'RS256', rsa_public_key: await exportSPKI(rsa.publicKey) },
          ],
          keyauth_credentials: [{ key: 'vip-key' }],
          // The consumer's own limit: more specific than the route's (Kong's precedence).
          plugins: [{ name: 'rate-limiting', route: 'limited', config: { hour: 100, policy: 'local' } }],
        },
      ],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
    idp?.close()
  })

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${gw.proxy}${path}`, { headers })
    const text = await res.body.text()
    return {
      status: res.statusCode,
      headers: res.headers,
      json: (text ? JSON.parse(text) : undefined) as Json,
    }
  }

  it("jwt: HS256 and RS256 secrets identify their consumers; bad tokens get Kong's messages", async () => {
    const hs = await new SignJWT({ iss: 'hs-issuer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(HS_SECRET))
    let r = await get('/jwt/a', { authorization: `Bearer ${hs}` })
    expect(r.status).toBe(200)
    expect(r.json.headers['x-consumer-username']).toBe('hs-user')

    const rs = await new SignJWT({ iss: 'rs-issuer' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(rsa.privateKey)
    r = await get(`/jwt/a?jwt=${rs}`)
    expect(r.status).toBe(200)
    expect(r.json.headers['x-consumer-username']).toBe('vip')

    expect((await get('/jwt/a')).json.message).toBe('Unauthorized')
    const forged = await new SignJWT({ iss: 'hs-issuer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('not-the-secret-000000000000000000'))
    r = await get('/jwt/a', { authorization: `Bearer ${forged}` })
    expect([r.status, r.json.message]).toEqual([401, 'Invalid signature'])
    // The token may not pick the algorithm: an HS256 token for an RS256 secret is refused.
    const confused = await new SignJWT({ iss: 'rs-issuer' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey)))
    expect((await get('/jwt/a', { authorization: `Bearer ${confused}` })).json.message).toBe(
      'Invalid algorithm',
    )
    const unknown = await new SignJWT({ iss: 'who' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(HS_SECRET))
    expect((await get('/jwt/a', { authorization: `Bearer ${unknown}` })).json.message).toBe(
      "No credentials found for given 'iss'",
    )
    const expired = await new SignJWT({ iss: 'hs-issuer', exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(HS_SECRET))
    r = await get('/jwt/a', { authorization: `Bearer ${expired}` })
    expect([r.status, r.json]).toEqual([401, { exp: 'token expired' }])
    expect((await get('/jwt/a', { authorization: 'Bearer not.a.jwt' })).json.message).toMatch(/^Bad token; /)
  })

  it("openid-connect: an issuer's token verified by its JWKS through platform/auth, scopes checked", async () => {
    const token = (scope: string, aud = 'api') =>
      new SignJWT({ scope })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(aud)
        .setSubject('vip-sub')
        .setExpirationTime('5m')
        .sign(oidc.privateKey)
    let r = await get('/oidc/x', { authorization: `Bearer ${await token('read write')}` })
    expect(r.status).toBe(200)
    expect(r.json.headers['x-consumer-username']).toBe('vip')
    r = await get('/oidc/x', { authorization: `Bearer ${await token('write')}` })
    expect(r.status).toBe(403)
    r = await get('/oidc/x', { authorization: `Bearer ${await token('read', 'other')}` })
    expect(r.status).toBe(401)
    expect(r.headers['www-authenticate']).toContain('invalid_token')
  })

  it('correlation-id: kept when sent, generated otherwise, echoed', async () => {
    let r = await get('/misc/c')
    const id = r.headers['x-request-id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.json.headers['x-request-id']).toBe(id)
    r = await get('/misc/c', { 'x-request-id': 'mine-123' })
    expect(r.json.headers['x-request-id']).toBe('mine-123')
    expect(r.headers['x-request-id']).toBe('mine-123')
  })

  it('cors: preflight answered by the gateway, listed and regex origins allowed, others not', async () => {
    const before = up.seen.length
    const pre = await request(`${gw.proxy}/misc/c`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-a',
      },
    })
    await pre.body.dump()
    expect(pre.statusCode).toBe(200)
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(pre.headers['access-control-allow-methods']).toBe('GET,POST')
    expect(pre.headers['access-control-allow-headers']).toBe('x-a')
    expect(pre.headers['access-control-max-age']).toBe('600')
    expect(pre.headers['access-control-allow-credentials']).toBe('true')
    // The preflight never reached the upstream.
    expect(up.seen.length).toBe(before)
    expect(
      (await get('/misc/c', { origin: 'https://x.example.org' })).headers['access-control-allow-origin'],
    ).toBe('https://x.example.org')
    expect(
      (await get('/misc/c', { origin: 'https://evil.example.net' })).headers['access-control-allow-origin'],
    ).toBeUndefined()
  })

  it('request-size-limiting: a declared or streamed body over the limit never reaches the upstream', async () => {
    const before = up.seen.length
    let res = await request(`${gw.proxy}/misc/u`, { method: 'POST', body: '01234567890123' })
    expect(res.statusCode).toBe(413)
    expect(((await res.body.json()) as Json).message).toBe('Request size limit exceeded')
    async function* big() {
      yield Buffer.from('01234')
      yield Buffer.from('56789')
      yield Buffer.from('abcde')
    }
    const { Readable } = await import('node:stream')
    res = await request(`${gw.proxy}/misc/u`, { method: 'POST', body: Readable.from(big()) })
    expect(res.statusCode).toBe(413)
    await res.body.dump()
    expect(up.seen.length).toBe(before)
    res = await request(`${gw.proxy}/misc/u`, {
      method: 'POST',
      body: Readable.from(
        (async function* () {
          yield Buffer.from('small')
        })(),
      ),
    })
    expect(res.statusCode).toBe(200)
    expect(((await res.body.json()) as Json).body).toBe('small')
  })

  it('ip-restriction: a denied address gets 403', async () => {
    const r = await get('/denied/x')
    expect(r.status).toBe(403)
    expect(r.json.message).toMatch(/^IP address not allowed: /)
  })

  it("rate-limiting: the consumer's own configuration wins over the route's (Kong's precedence)", async () => {
    for (let i = 0; i < 2; i++) expect((await get('/limited/x', { apikey: 'hs-key' })).status).toBe(200)
    const refused = await get('/limited/x', { apikey: 'hs-key' })
    expect(refused.status).toBe(429)
    expect(refused.headers['x-ratelimit-limit-hour']).toBe('2')
    for (let i = 0; i < 4; i++) {
      const r = await get('/limited/x', { apikey: 'vip-key' })
      expect(r.status).toBe(200)
      expect(r.headers['x-ratelimit-limit-hour']).toBe('100')
    }
  })

  it('rate-limiting by header: each tenant counts apart', async () => {
    expect((await get('/by-header/x', { 'x-tenant': 'a' })).status).toBe(200)
    expect((await get('/by-header/x', { 'x-tenant': 'a' })).status).toBe(429)
    expect((await get('/by-header/x', { 'x-tenant': 'b' })).status).toBe(200)
  })
})

describe.skipIf(!backends().includes('services'))('rate-limiting with policy redis', () => {
  let up: Upstream
  let gw: GatewayClient
  beforeAll(async () => {
    up = await upstream('redis-up')
    const file = await configFile({
      _format_version: '3.0',
      services: [{ name: 's', url: up.url, routes: [{ name: 'r', paths: ['/r'] }] }],
      plugins: [
        {
          name: 'rate-limiting',
          config: { hour: 3, policy: 'redis', limit_by: 'ip', redis: { host: '127.0.0.1' } },
        },
      ],
    })
    gw = await gatewayApp('services', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
  })

  it('counts in Redis through platform/rate-limit and refuses the fourth request of the hour', async () => {
    const statuses: number[] = []
    const remaining: string[] = []
    for (let i = 0; i < 4; i++) {
      const res = await request(`${gw.proxy}/r/x`)
      statuses.push(res.statusCode)
      remaining.push(String(res.headers['x-ratelimit-remaining-hour']))
      await res.body.dump()
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(remaining).toEqual(['2', '1', '0', '0'])
  })
})
