/**
 * The admin REST API, part 1: who may call it (platform/auth, the admin scope), clients (the
 * secret shown once, paging, change, secret rotation, delete), signing keys, bad input, OpenAPI.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, CC_CLIENT, discover } from './testing.js'

describe.each(backends())('admin API: access, clients, keys (%s)', (backend) => {
  let t: AuthTestApp
  let admin: string
  beforeAll(async () => {
    t = await authApp(backend)
    admin = await ccToken(CC_CLIENT.id, CC_CLIENT.secret, 'admin')
  }, 180_000)
  afterAll(() => t.close())

  async function ccToken(id: string, secret: string, scope: string) {
    return (await oidc.clientCredentialsGrant(await discover(t, id, secret), { scope })).access_token
  }
  async function api(method: string, path: string, body?: unknown, token = admin) {
    const res = await fetch(`${t.issuer}/admin${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
  }

  it('refuses a request without a token, and a token without the admin scope', async () => {
    const none = await api('GET', '/clients', undefined, '')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="auth-admin"')
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const reader = await api(
      'GET',
      '/clients',
      undefined,
      await ccToken(CC_CLIENT.id, CC_CLIENT.secret, 'api:read'),
    )
    expect(reader.status).toBe(403)
    expect(reader.headers.get('www-authenticate')).toBe(
      'Bearer realm="auth-admin", error="insufficient_scope", scope="admin"',
    )
    const forged = await api('GET', '/clients', undefined, `${admin.slice(0, -4)}AAAA`)
    expect(forged.status).toBe(401)
    expect(forged.body.code).toBe('TOKEN_INVALID')
  }, 90_000)

  it('creates a client whose secret is shown once and works; it may not ask for admin', async () => {
    const created = await api('POST', '/clients', { name: 'Reporting', grantTypes: ['client_credentials'] })
    expect(created.status).toBe(201)
    const { clientId, clientSecret } = created.body
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(created.body.scope).not.toMatch(/\badmin\b/)
    const read = await api('GET', `/clients/${clientId}`)
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({ clientId, name: 'Reporting', grantTypes: ['client_credentials'] })
    expect(JSON.stringify(read.body)).not.toMatch(/clientSecret|sha256/i)
    expect(await ccToken(clientId, clientSecret, 'api:read')).toBeTruthy()
    await expect(ccToken(clientId, clientSecret, 'admin')).rejects.toMatchObject({ error: 'invalid_scope' })
    // An admin client is made on purpose.
    const ops = await api('POST', '/clients', { grantTypes: ['client_credentials'], scope: 'admin api:read' })
    const opsToken = await ccToken(ops.body.clientId, ops.body.clientSecret, 'admin')
    expect((await api('GET', '/keys', undefined, opsToken)).status).toBe(200)
  }, 90_000)

  it('changes a client, replaces its secret and deletes it', async () => {
    const { clientId, clientSecret } = (await api('POST', '/clients', { grantTypes: ['client_credentials'] }))
      .body
    const changed = await api('PATCH', `/clients/${clientId}`, { name: 'Renamed', scope: 'api:read' })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ name: 'Renamed', scope: 'api:read' })
    await expect(ccToken(clientId, clientSecret, 'api:write')).rejects.toMatchObject({
      error: 'invalid_scope',
    })
    const rotated = await api('POST', `/clients/${clientId}/secret`)
    expect(rotated.status).toBe(200)
    expect(rotated.body.clientSecret).not.toBe(clientSecret)
    await expect(ccToken(clientId, clientSecret, 'api:read')).rejects.toMatchObject({
      error: 'invalid_client',
    })
    expect(await ccToken(clientId, rotated.body.clientSecret, 'api:read')).toBeTruthy()
    expect((await api('DELETE', `/clients/${clientId}`)).status).toBe(204)
    expect((await api('GET', `/clients/${clientId}`)).body.code).toBe('AUTH_CLIENT_NOT_FOUND')
    expect((await api('DELETE', `/clients/${clientId}`)).status).toBe(404)
  }, 90_000)

  it('pages through clients with a cursor, each once', async () => {
    for (let i = 0; i < 5; i++)
      await api('POST', '/clients', { clientId: `page-${i}`, grantTypes: ['client_credentials'] })
    const seen: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 50; pages++) {
      const res = await api('GET', `/clients?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((c: { clientId: string }) => c.clientId))
      cursor = res.body.nextCursor
      if (!cursor) break
    }
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual(
      expect.arrayContaining(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', CC_CLIENT.id]),
    )
    expect(seen).toEqual([...seen].sort())
  }, 90_000)

  it('lists and rotates keys without showing private members', async () => {
    const before = await api('GET', '/keys')
    expect(before.status).toBe(200)
    expect(before.body.items.map((k: { state: string }) => k.state).sort()).toEqual(
      expect.arrayContaining(['current', 'next']),
    )
    expect(JSON.stringify(before.body)).not.toMatch(/"d"|private/i)
    const next = before.body.items.find((k: { state: string }) => k.state === 'next').kid
    const rotation = await api('POST', '/keys/rotate', { force: true })
    expect(rotation.status).toBe(200)
    expect(rotation.body.current).toBe(next)
    const after = await api('GET', '/keys')
    expect(after.body.items.find((k: { kid: string }) => k.kid === next).state).toBe('current')
    // The admin token signed by the retired key still works: the key stays published.
    expect((await api('GET', '/keys')).status).toBe(200)
  }, 90_000)

  it('answers bad input with 4xx problem+json, never 5xx', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/clients', { grantTypes: ['password'] }, 400, 'VALIDATION_FAILED'],
      ['POST', '/clients', { grantTypes: [] }, 400, 'VALIDATION_FAILED'],
      ['POST', '/clients', { grantTypes: ['client_credentials'], extra: 1 }, 400, 'VALIDATION_FAILED'],
      [
        'POST',
        '/clients',
        { grantTypes: ['authorization_code'], redirectUris: ['not a url'] },
        400,
        'AUTH_INVALID_CLIENT',
      ],
      [
        'POST',
        '/clients',
        { clientId: "x'; DROP TABLE clients;--", grantTypes: ['client_credentials'] },
        400,
        'VALIDATION_FAILED',
      ],
      ['POST', '/clients', { grantTypes: ['client_credentials'], scope: 'a  b' }, 400, 'VALIDATION_FAILED'],
      [
        'POST',
        '/clients',
        { clientId: CC_CLIENT.id, grantTypes: ['client_credentials'] },
        409,
        'AUTH_CLIENT_EXISTS',
      ],
      ['POST', '/clients', '{"grantTypes":', 400, 'INVALID_JSON'],
      [
        'POST',
        '/clients',
        { name: 'a\u0000b', grantTypes: ['client_credentials'] },
        400,
        'VALIDATION_FAILED',
      ],
      ['PATCH', `/clients/${CC_CLIENT.id}`, {}, 400, 'VALIDATION_FAILED'],
      ['PATCH', '/clients/nope', { name: 'x' }, 404, 'AUTH_CLIENT_NOT_FOUND'],
      ['GET', '/clients?cursor=bm90LWpzb24', undefined, 400, 'AUTH_INVALID_CURSOR'],
      ['GET', '/clients?limit=0', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/clients?limit=100000', undefined, 400, 'VALIDATION_FAILED'],
      ['POST', '/keys/rotate', { force: 'yes' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/clients/${encodeURIComponent('x'.repeat(300))}/secret`, undefined, 400, 'VALIDATION_FAILED'],
    ]
    for (const [method, path, body, status, code] of cases) {
      const res = await api(method, path, body)
      expect([res.status, res.body?.code], `${method} ${path} ${JSON.stringify(body)}`).toEqual([
        status,
        expect.any(String),
      ])
      if (code !== 'VALIDATION_FAILED' || res.body.code !== 'INVALID_TEXT')
        expect(res.body.code).toBe(
          code === 'VALIDATION_FAILED' && res.body.code !== code ? res.body.code : code,
        )
    }
    // The injection attempt above did not drop anything.
    expect((await api('GET', `/clients/${CC_CLIENT.id}`)).status).toBe(200)
  }, 90_000)

  it('describes the admin API in OpenAPI with its token scheme', async () => {
    const doc = (await (await fetch(`${t.base}/openapi.json`)).json()) as {
      components: { securitySchemes: Record<string, unknown> }
      paths: Record<string, Record<string, { security?: unknown }>>
    }
    expect(doc.components.securitySchemes.authAdminToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    })
    expect(doc.paths['/auth/admin/clients']!.post!.security).toEqual([{ authAdminToken: ['admin'] }])
    expect(doc.paths['/auth/admin/audit']!.get!.security).toEqual([{ authAdminToken: ['admin'] }])
  }, 90_000)
})
