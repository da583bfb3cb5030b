/**
 * Sessions: each browser's sign-in is a session, listed per account; revoking one signs that
 * browser out and revokes the refresh tokens of the grants made through it, and no other.
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
  REDIRECT,
  signIn,
  webClient,
} from './testing.js'

describe.each(backends())('sessions (%s)', (backend) => {
  let t: AuthTestApp
  let web: { id: string; secret: string }
  beforeAll(async () => {
    t = await authApp(backend)
    web = await webClient(t)
  })
  afterAll(() => t.close())

  async function signInWith(browser: Browser) {
    const config = await discover(t, web.id, web.secret)
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
    })
    const tokens = await oidc.authorizationCodeGrant(config, await signIn(browser, url), {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    })
    return { config, refresh: tokens.refresh_token!, sid: tokens.claims()!.sid as string }
  }

  it('lists each browser as a session and revokes one without touching the other', async () => {
    const laptop = await signInWith(new Browser())
    const phone = await signInWith(new Browser())
    const listed = await cli(t, 'session list', ['--email', ADMIN.email])
    expect(listed).toHaveLength(2)
    for (const line of listed) expect(line).toContain(`clients ${web.id}`)

    const uid = listed[0]!.split('\t')[0]!
    expect(await cli(t, 'session revoke', ['--email', ADMIN.email, '--uid', uid])).toEqual([
      '1 session revoked',
    ])
    expect(await cli(t, 'session list', ['--email', ADMIN.email])).toHaveLength(1)
    // One of the two refresh tokens died with its session; the other still refreshes.
    const results = await Promise.allSettled([
      oidc.refreshTokenGrant(laptop.config, laptop.refresh),
      oidc.refreshTokenGrant(phone.config, phone.refresh),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])

    expect(await cli(t, 'session revoke', ['--email', ADMIN.email])).toEqual(['1 session revoked'])
    expect(await cli(t, 'session list', ['--email', ADMIN.email])).toEqual(['(no sessions)'])
    await expect(cli(t, 'session list', ['--email', 'nobody@example.com'])).rejects.toMatchObject({
      code: 'AUTH_USER_NOT_FOUND',
    })
  })
})
