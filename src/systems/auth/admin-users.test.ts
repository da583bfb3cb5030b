/**
 * The admin REST API, part 2: accounts (create, pages, disable, lockout reset), their sessions,
 * grants, the admin scope refused to a non-admin user at consent, and the audit log query.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenVerifier } from '../../platform/auth/index.js'
import { backends } from '../../platform/testing/backends.js'
import { partsFor } from './parts.js'
import {
  ADMIN,
  type AuthTestApp,
  adminApi,
  authApp,
  Browser,
  CC_CLIENT,
  cli,
  discover,
  REDIRECT,
  signIn,
} from './testing.js'

describe.each(backends())('admin API: accounts, sessions, audit (%s)', (backend) => {
  let t: AuthTestApp
  let api: Awaited<ReturnType<typeof adminApi>>
  let web: { id: string; secret: string }
  beforeAll(async () => {
    t = await authApp(backend, { AUTH_LOGIN_ATTEMPTS: '2' })
    api = await adminApi(t)
    const lines = await cli(t, 'client create', [
      '--redirect-uri',
      REDIRECT,
      '--scope',
      'openid email offline_access api:read admin',
    ])
    web = { id: lines[1]!.replace('client_id: ', ''), secret: lines[3]! }
  }, 180_000)
  afterAll(() => t.close())

  const parts = () => {
    const system = t.app.systems.find((s) => s.definition.name === 'auth')!
    return partsFor(system.context as never)
  }
  async function codeFlow(creds: { email: string; password: string }, scope: string, resource?: string) {
    const config = await discover(t, web.id, web.secret)
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
      prompt: 'consent',
      ...(resource && { resource }),
    })
    const callback = await signIn(new Browser(), url, creds)
    if (callback.searchParams.get('error')) return { error: callback.searchParams.get('error_description') }
    return {
      tokens: await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: 's',
      }),
    }
  }

  it('creates accounts, refusing a weak password and a taken email', async () => {
    const created = await api('POST', '/users', {
      email: 'ann@example.com',
      password: 'a long passphrase 1',
      name: 'Ann',
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      email: 'ann@example.com',
      name: 'Ann',
      admin: false,
      disabled: false,
      emailVerified: false,
    })
    expect(JSON.stringify(created.body)).not.toMatch(/argon|hash|password/i)
    const weak = await api('POST', '/users', { email: 'bob@example.com', password: 'password' })
    expect(weak).toMatchObject({
      status: 400,
      body: { code: 'AUTH_INVALID_USER', invalidParams: [{ name: 'password' }] },
    })
    expect(
      (await api('POST', '/users', { email: 'ANN@example.com', password: 'another long passphrase' })).body
        .code,
    ).toBe('AUTH_EMAIL_TAKEN')
    expect((await api('GET', `/users/${created.body.id}`)).body.email).toBe('ann@example.com')
    expect((await api('GET', '/users/nobody')).status).toBe(404)
  }, 90_000)

  it('pages through accounts with an email prefix filter, each once', async () => {
    // Created in one burst: several may share a millisecond, which the cursor must not lose.
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        api('POST', '/users', { email: `page${i}@paging.example`, password: `a long passphrase ${i}` }),
      ),
    )
    const seen: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 20; pages++) {
      const res = await api('GET', `/users?limit=3&email=PAGE${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      seen.push(...res.body.items.map((u: { email: string }) => u.email))
      cursor = res.body.nextCursor
      if (!cursor) break
    }
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `page${i}@paging.example`))
    expect((await api('GET', '/users?email=%25')).body.items).toEqual([])
    expect((await api('GET', '/users?cursor=eyJ4IjoxfQ')).body.code).toBe('AUTH_INVALID_CURSOR')
  }, 90_000)

  it('disables an account: its sessions and refresh tokens go, its logins are refused', async () => {
    const creds = { email: 'carl@example.com', password: 'a long passphrase 2' }
    const { id } = (await api('POST', '/users', creds)).body
    const { tokens } = await codeFlow(creds, 'openid offline_access')
    expect((await api('GET', `/users/${id}/sessions`)).body.items).toHaveLength(1)
    const disabled = await api('PATCH', `/users/${id}`, { disabled: true })
    expect(disabled.body.disabled).toBe(true)
    expect((await api('GET', `/users/${id}/sessions`)).body.items).toHaveLength(0)
    const config = await discover(t, web.id, web.secret)
    await expect(oidc.refreshTokenGrant(config, tokens!.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect((await (await parts()).accounts.login(creds.email, creds.password, '10.0.0.9')).ok).toBe(false)
    await api('PATCH', `/users/${id}`, { disabled: false })
    expect((await (await parts()).accounts.login(creds.email, creds.password, '10.0.0.9')).ok).toBe(true)
  }, 90_000)

  it('ends a lockout', async () => {
    const creds = { email: 'dora@example.com', password: 'a long passphrase 3' }
    const { id } = (await api('POST', '/users', creds)).body
    const p = await parts()
    for (let i = 0; i < 2; i++) await p.accounts.login(creds.email, 'wrong', `10.0.1.${i}`)
    expect(await p.accounts.login(creds.email, creds.password, '10.0.1.9')).toMatchObject({ ok: false })
    expect((await api('POST', `/users/${id}/lockout/reset`)).status).toBe(204)
    expect((await p.accounts.login(creds.email, creds.password, '10.0.1.9')).ok).toBe(true)
  }, 90_000)

  it('revokes one session, and a grant found through the audit log', async () => {
    const creds = { email: 'eve@example.com', password: 'a long passphrase 4' }
    const { id } = (await api('POST', '/users', creds)).body
    const first = await codeFlow(creds, 'openid offline_access')
    await codeFlow(creds, 'openid offline_access')
    const sessions = (await api('GET', `/users/${id}/sessions`)).body.items
    expect(sessions).toHaveLength(2)
    expect((await api('DELETE', `/users/${id}/sessions/${sessions[0].uid}`)).status).toBe(204)
    expect((await api('DELETE', `/users/${id}/sessions/${sessions[0].uid}`)).body.code).toBe(
      'AUTH_SESSION_NOT_FOUND',
    )
    expect((await api('GET', `/users/${id}/sessions`)).body.items).toHaveLength(1)
    const consents = (await api('GET', `/audit?user=${id}&event=consent.granted`)).body.items
    expect(consents.length).toBeGreaterThanOrEqual(1)
    for (const c of consents) await api('DELETE', `/grants/${c.detail.grantId}`)
    const config = await discover(t, web.id, web.secret)
    await expect(oidc.refreshTokenGrant(config, first.tokens!.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect((await api('DELETE', '/grants/no-such-grant')).body.code).toBe('AUTH_GRANT_NOT_FOUND')
  }, 90_000)

  it('grants the admin scope to an admin account only, whose tokens carry roles', async () => {
    const creds = { email: 'fred@example.com', password: 'a long passphrase 5' }
    await api('POST', '/users', creds)
    expect(await codeFlow(creds, 'openid admin', t.base)).toEqual({
      error: 'the admin scope needs an admin account',
    })
    const { tokens } = await codeFlow(ADMIN, 'openid admin', t.base)
    const verifier = new TokenVerifier({ issuer: t.issuer, audience: t.base })
    const r = await verifier.verify(tokens!.access_token)
    expect(r.ok && r.principal).toMatchObject({ scopes: expect.arrayContaining(['admin']), roles: ['admin'] })
  }, 90_000)

  it('queries the audit log by actor, event and time, in cursor pages', async () => {
    const start = new Date(Date.now() - 1000).toISOString()
    for (let i = 0; i < 3; i++) await api('POST', '/clients', { grantTypes: ['client_credentials'] })
    const mine = await api('GET', `/audit?actor=${CC_CLIENT.id}&event=client.created&from=${start}&limit=2`)
    expect(mine.status).toBe(200)
    expect(mine.body.items).toHaveLength(2)
    for (const e of mine.body.items) expect(e).toMatchObject({ event: 'client.created', actor: CC_CLIENT.id })
    const rest = await api(
      'GET',
      `/audit?actor=${CC_CLIENT.id}&event=client.created&from=${start}&limit=2&cursor=${mine.body.nextCursor}`,
    )
    expect(rest.body.items.length).toBeGreaterThanOrEqual(1)
    expect(rest.body.items[0].id).toBeLessThan(mine.body.items[1].id)
    const several = await api('GET', '/audit?event=login.failed,login.locked')
    expect(several.body.items.map((e: { event: string }) => e.event)).toEqual(
      expect.arrayContaining(['login.failed', 'login.locked']),
    )
    expect(
      (await api('GET', `/audit?to=${start}&event=client.created&actor=${CC_CLIENT.id}`)).body.items.length,
    ).toBeLessThan(3)
    expect((await api('GET', '/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).body.code).toBe(
      'AUTH_INVALID_QUERY',
    )
    expect((await api('GET', '/audit?from=yesterday')).body.code).toBe('VALIDATION_FAILED')
    expect((await api('GET', "/audit?event=x'%20OR%201=1")).body.code).toBe('VALIDATION_FAILED')
    expect((await api('GET', '/audit?cursor=LTE')).body.code).toBe('AUTH_INVALID_CURSOR')
  }, 90_000)
})
