/**
 * The Fastify guard: RFC 6750 challenges in problem+json, the principal on the request, scopes per
 * guard and per route, OpenAPI security, metrics, and an issuer that cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { defineSystem } from '../system.js'
import { buildTestApp } from '../testing/app.js'
import { type JwksServer, jwksServer, signToken, type TestKey, testKey } from './testing.js'
import { requireScope, tokenAuth } from './token-auth.js'
import { TokenVerifier } from './verifier.js'

const AUD = 'https://api.example'

describe('tokenAuth', () => {
  let key: TestKey
  let server: JwksServer
  let app: App
  const token = (claims: Record<string, unknown> = {}) =>
    signToken(key, {
      iss: server.issuer,
      aud: AUD,
      sub: 'user-1',
      client_id: 'app',
      scope: 'api:read',
      ...claims,
    })
  const get = async (url: string, authorization?: string) =>
    app.http.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} })

  beforeAll(async () => {
    key = await testKey('k1')
    server = await jwksServer([key.publicJwk])
    const down = await jwksServer([])
    const downIssuer = down.issuer
    await down.close()
    const api = defineSystem({
      name: 'api',
      description: 'guarded routes',
      async create(ctx) {
        return {
          routes(scope) {
            tokenAuth(scope, {
              verifier: new TokenVerifier({ issuer: server.issuer, audience: AUD }),
              realm: 'api',
              scopes: ['api:read'],
              metrics: ctx.metrics.registry,
            })
            scope.get('/me', { schema: { summary: 'who am I' } }, async (req) => req.principal)
            scope.get(
              '/admin',
              { schema: { summary: 'admin only' }, config: { scopes: ['admin'] } },
              async () => ({
                ok: true,
              }),
            )
            scope.get(
              '/write',
              { schema: { summary: 'writers only' }, preHandler: requireScope('api', 'api:write') },
              async () => ({ ok: true }),
            )
          },
        }
      },
    })
    const unreachable = defineSystem({
      name: 'down',
      description: 'an issuer that is not there',
      async create() {
        return {
          routes(scope) {
            tokenAuth(scope, {
              verifier: new TokenVerifier({ issuer: downIssuer, audience: AUD, fetchTimeoutMs: 2_000 }),
              realm: 'down',
            })
            scope.get('/thing', { schema: { summary: 'a thing' } }, async () => ({ ok: true }))
          },
        }
      },
    })
    app = await buildTestApp('embedded', { systems: [api, unreachable] })
  }, 180_000)
  afterAll(async () => {
    await app?.close()
    await server?.close()
  })

  it('puts the principal of a good token on the request', async () => {
    const res = await get('/api/me', `Bearer ${await token({ roles: ['ops'] })}`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ sub: 'user-1', clientId: 'app', scopes: ['api:read'], roles: ['ops'] })
  })

  it('answers 401 with a bare challenge when no bearer token is sent', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Token abc']) {
      const res = await get('/api/me', authorization)
      expect(res.statusCode).toBe(401)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
      expect(res.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING' })
    }
  })

  it('answers 400 invalid_request for a malformed bearer header', async () => {
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer "quoted"', 'Bearer a,b']) {
      const res = await get('/api/me', authorization)
      expect(res.statusCode, authorization).toBe(400)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_request"')
      expect(res.json()).toMatchObject({ code: 'AUTHORIZATION_MALFORMED', error: 'invalid_request' })
    }
  })

  it('answers 401 invalid_token with a description for a bad token', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases: [string, string][] = [
      [await token({ exp: now - 60 }), 'the token has expired'],
      [await token({ aud: 'https://elsewhere.example' }), "the token's aud is not accepted here"],
      ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'the token is signed with an algorithm not accepted here'],
      ['abc', 'the token is malformed'],
    ]
    for (const [t, description] of cases) {
      const res = await get('/api/me', `Bearer ${t}`)
      expect(res.statusCode, description).toBe(401)
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="api", error="invalid_token", error_description="${description}"`,
      )
      expect(res.json()).toMatchObject({ code: 'TOKEN_INVALID', error: 'invalid_token', detail: description })
    }
  })

  it('answers 403 insufficient_scope naming the scopes a route needs', async () => {
    const noScope = await get('/api/me', `Bearer ${await token({ scope: 'openid' })}`)
    expect(noScope.statusCode).toBe(403)
    expect(noScope.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="api:read"',
    )
    const admin = await get('/api/admin', `Bearer ${await token()}`)
    expect(admin.statusCode).toBe(403)
    expect(admin.json()).toMatchObject({ code: 'TOKEN_SCOPE_INSUFFICIENT', scope: 'api:read admin' })
    expect((await get('/api/admin', `Bearer ${await token({ scope: 'api:read admin' })}`)).statusCode).toBe(
      200,
    )
    const write = await get('/api/write', `Bearer ${await token()}`)
    expect(write.statusCode).toBe(403)
    expect(write.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="api:write"',
    )
    expect(
      (await get('/api/write', `Bearer ${await token({ scope: 'api:read api:write' })}`)).statusCode,
    ).toBe(200)
  })

  it('answers 503 when the issuer cannot be reached, never 401 or 500', async () => {
    const res = await get('/down/thing', `Bearer ${await token()}`)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' })
  })

  it('declares the token scheme in OpenAPI with each operation scopes', async () => {
    const doc = (await get('/openapi.json')).json()
    expect(doc.components.securitySchemes.apiToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    })
    expect(doc.paths['/api/me'].get.security).toEqual([{ apiToken: ['api:read'] }])
    expect(doc.paths['/api/admin'].get.security).toEqual([{ apiToken: ['api:read', 'admin'] }])
  })

  it('counts verifications by result', async () => {
    await get('/api/me')
    await get('/api/me', `Bearer ${await token()}`)
    const text = (await get('/metrics')).body
    expect(text).toMatch(/platform_auth_verifications_total\{realm="api",result="ok"\} [1-9]/)
    expect(text).toMatch(/platform_auth_verifications_total\{realm="api",result="missing"\} [1-9]/)
  })
})
