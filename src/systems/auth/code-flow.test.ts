/**
 * Authorization code + PKCE through openid-client with a scripted sign-in through the HTML pages,
 * then refresh-token rotation, reuse detection (a replayed refresh token revokes the whole grant),
 * UserInfo and RP-initiated logout.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  ADMIN,
  type AuthTestApp,
  authApp,
  Browser,
  cli,
  discover,
  formOf,
  POST_LOGOUT,
  REDIRECT,
  signIn,
} from './testing.js'

describe.each(backends())('authorization code flow (%s)', (backend) => {
  let t: AuthTestApp
  let web: { id: string; secret: string }
  let spa: string
  beforeAll(async () => {
    t = await authApp(backend, { AUTH_REFRESH_REUSE_GRACE_MS: '0' })
    const lines = await cli(t, 'client create', [
      '--name',
      'Web app',
      '--redirect-uri',
      REDIRECT,
      '--post-logout-redirect-uri',
      POST_LOGOUT,
    ])
    web = { id: lines[1]!.replace('client_id: ', ''), secret: lines[3]! }
    spa = (
      await cli(t, 'client create', ['--name', 'SPA', '--public', '--redirect-uri', REDIRECT])
    )[1]!.replace('client_id: ', '')
  })
  afterAll(() => t.close())

  async function codeFlow(config: oidc.Configuration, browser = new Browser()) {
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'consent',
    })
    const callback = await signIn(browser, url)
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    return { tokens, browser }
  }

  it('signs in through the pages and gets ID, access and refresh tokens', async () => {
    const config = await discover(t, web.id, web.secret)
    const { tokens } = await codeFlow(config)
    const claims = tokens.claims()!
    expect(claims.iss).toBe(t.issuer)
    expect(claims.aud).toBe(web.id)
    // Claims other than sub go to UserInfo when an access token is issued (conformIdTokenClaims).
    expect(claims.sub).toBeTruthy()
    expect(tokens.refresh_token).toBeTruthy()
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(info.email).toBe(ADMIN.email)
  })

  it('a public client signs in with PKCE and no secret', async () => {
    const config = await discover(t, spa, undefined, oidc.None())
    const { tokens } = await codeFlow(config)
    expect(tokens.claims()!.aud).toBe(spa)
  })

  it('a public client without PKCE is refused', async () => {
    const config = await discover(t, spa, undefined, oidc.None())
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 'x' })
    const { url: at } = await new Browser().follow(url.href)
    const params = new URL(at).searchParams
    expect(params.get('error')).toBe('invalid_request')
    expect(params.get('error_description')).toMatch(/PKCE/i)
  })

  it('rotates refresh tokens; reusing a rotated one revokes the whole grant', async () => {
    const config = await discover(t, web.id, web.secret)
    const { tokens } = await codeFlow(config)
    const first = tokens.refresh_token!
    const second = await oidc.refreshTokenGrant(config, first)
    expect(second.refresh_token).toBeTruthy()
    expect(second.refresh_token).not.toBe(first)
    // The replay: the old token again. The grant is revoked, so the new refresh token dies too.
    await expect(oidc.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect(await oidc.tokenIntrospection(config, second.refresh_token!)).toEqual({ active: false })
  })

  it('introspects and revokes a refresh token', async () => {
    const config = await discover(t, web.id, web.secret)
    const { tokens } = await codeFlow(config)
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({
      active: true,
      client_id: web.id,
    })
    await oidc.tokenRevocation(config, tokens.refresh_token!)
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false })
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('signs out through RP-initiated logout and lands on the registered post-logout URI', async () => {
    const config = await discover(t, web.id, web.secret)
    const { tokens, browser } = await codeFlow(config)
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT,
      state: 'bye',
    })
    const { res, url } = await browser.follow(end.href)
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page).toContain('Sign out?')
    const form = formOf(page, url)
    const done = await browser.follow(form.action, { form: { ...form.fields, logout: 'yes' } })
    expect(done.url).toBe(`${POST_LOGOUT}?state=bye`)
    // The session is gone: a new authorization asks for the login again.
    const again = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
    })
    const next = await browser.follow(again.href)
    expect(await next.res.text()).toContain('name="password"')
  })

  it('refuses a redirect_uri that is not registered exactly, without redirecting to it', async () => {
    const config = await discover(t, web.id, web.secret)
    for (const bad of [
      `${REDIRECT}/x`,
      `${REDIRECT}?a=1`,
      'http://127.0.0.1:1/CB',
      'https://evil.example/cb',
    ]) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: bad,
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })
      const res = await new Browser().request(url.href)
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toContain('redirect_uri')
    }
  })
})
