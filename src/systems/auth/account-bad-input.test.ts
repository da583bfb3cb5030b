/**
 * Bad input at the passkey and account endpoints, through the scripted browser: hostile values
 * (U+0000, SQL, CRLF, lone surrogates, megabyte strings), malformed WebAuthn responses, missing or
 * forged CSRF tokens and JSON bodies get a 4xx page, never a 5xx; nothing changes without the
 * session's CSRF token.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  ADMIN,
  type AuthTestApp,
  authApp,
  Browser,
  discover,
  formOf,
  REDIRECT,
  webClient,
} from './testing.js'

const HOSTILE = [
  '',
  '\u0000',
  "' OR 1=1 --",
  'a\r\nSet-Cookie: x=1',
  '\ud800',
  'x'.repeat(20_000),
  '{"id":"\u0000","response":{}}',
  '{"id":"abc","response":{}}',
  '{"id":"abc","response":{"clientDataJSON":"!!","authenticatorData":"x","signature":"y"}}',
  '{"id":["a"],"response":null}',
  'null',
  '[]',
]

describe.each(backends())('passkey and account bad input (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  }, 180_000)
  afterAll(() => t?.close())

  it('the sign-in passkey endpoints answer 4xx to malformed responses and forged tokens', async () => {
    const web = await webClient(t)
    const config = await discover(t, web.id, web.secret)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const b = new Browser()
    const login = await b.follow(url.href)
    const html = await login.res.text()
    expect(html).toContain('Sign in with a passkey')
    const { fields } = formOf(html, login.url)
    const passkeyUrl = `${login.url}/passkey`
    for (const response of HOSTILE) {
      const res = await b.request(passkeyUrl, { form: { csrf: fields.csrf!, response } })
      expect(res.status, JSON.stringify(response).slice(0, 80)).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
    }
    // No CSRF token, a forged one, the second-factor endpoint before any password.
    expect((await b.request(passkeyUrl, { form: { response: '{}' } })).status).toBe(400)
    expect((await b.request(passkeyUrl, { form: { csrf: 'forged', response: '{}' } })).status).toBe(403)
    const mfa = await b.request(`${login.url}/mfa/passkey`, { form: { csrf: fields.csrf!, response: '{}' } })
    expect(mfa.status).toBe(400)
  })

  it('the account page answers 4xx to hostile forms, and changes nothing without its CSRF token', async () => {
    const b = new Browser()
    const login = await b.follow(`${t.issuer}/account/login`)
    const form = formOf(await login.res.text(), login.url)
    const page = await b.follow(form.action, {
      form: { ...form.fields, email: ADMIN.email, password: ADMIN.password },
    })
    expect(page.url).toBe(`${t.issuer}/account`)
    const html = await page.res.text()
    expect(html).toContain(`Signed in as <strong>${ADMIN.email}</strong>`)
    const csrf = formOf(html, page.url).fields.csrf!
    const sessionsBefore = (html.match(/name="uid"/g) ?? []).length
    expect(sessionsBefore).toBe(1)

    const endpoints = [
      'totp',
      'totp/delete',
      'passkeys',
      'passkeys/delete',
      'recovery-codes',
      'sessions/revoke',
    ]
    for (const path of endpoints)
      for (const value of HOSTILE) {
        const res = await b.request(`${t.issuer}/account/${path}`, {
          form: { csrf, code: value, id: value, uid: value, name: value, response: value },
        })
        expect(res.status, `${path} ${JSON.stringify(value).slice(0, 60)}`).toBeLessThan(500)
      }
    for (const path of [...endpoints, 'sessions/revoke-all']) {
      expect((await b.request(`${t.issuer}/account/${path}`, { form: { csrf: 'forged' } })).status).toBe(403)
      const json = await fetch(`${t.issuer}/account/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"csrf": 1',
      })
      expect(json.status).toBeGreaterThanOrEqual(300)
      expect(json.status).toBeLessThan(500)
    }
    // Still signed in, the one session intact.
    const after = await b.follow(`${t.issuer}/account`)
    expect((await after.res.text()).match(/name="uid"/g) ?? []).toHaveLength(sessionsBefore)
    // A callback that this browser did not start.
    expect((await b.request(`${t.issuer}/account/callback?state=x&code=y`)).status).toBe(400)
  })
})
