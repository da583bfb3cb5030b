/**
 * Self-service sign-up through the page: the password policy (a common password refused), the
 * verification link mailed (SMTP sink on loopback) and used, a sign-in through openid-client
 * afterwards; an email that has an account gets the same page, a mail to its owner, and no second
 * account; CSRF; the link on the login page.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  ADMIN,
  type AuthTestApp,
  authApp,
  Browser,
  CC_CLIENT,
  discover,
  formOf,
  REDIRECT,
  signIn,
  webClient,
} from './testing.js'
import { linkIn, type MailSink, mailSink } from './testing.mail.js'

describe.each(backends())('self sign-up (%s)', (backend) => {
  let t: AuthTestApp
  let smtp: MailSink
  let web: { id: string; secret: string }
  beforeAll(async () => {
    smtp = await mailSink()
    t = await authApp(backend, { AUTH_SMTP_URL: smtp.url })
    web = await webClient(t)
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  async function signUp(email: string, password: string, browser = new Browser()) {
    const { res, url } = await browser.follow(`${t.issuer}/signup`)
    const form = formOf(await res.text(), url)
    const sent = await browser.request(form.action, { form: { ...form.fields, email, password } })
    return { status: sent.status, html: await sent.text() }
  }
  async function users(email: string) {
    const admin = (
      await oidc.clientCredentialsGrant(await discover(t, CC_CLIENT.id, CC_CLIENT.secret), { scope: 'admin' })
    ).access_token
    const res = await fetch(`${t.issuer}/admin/users?email=${encodeURIComponent(email)}`, {
      headers: { authorization: `Bearer ${admin}` },
    })
    return ((await res.json()) as { items: { email: string; emailVerified: boolean }[] }).items
  }

  it('makes an account with a verified email after the link, and it signs in', async () => {
    const common = await signUp('ola@example.com', 'password123')
    expect(common.status).toBe(400)
    expect(common.html).toContain('common')
    expect(await users('ola@')).toEqual([])

    const ok = await signUp('ola@example.com', 'ola picks a long passphrase')
    expect(ok.status).toBe(200)
    expect(ok.html).toContain('Check your mail')
    expect(await users('ola@')).toEqual([expect.objectContaining({ emailVerified: false })])
    const mail = await smtp.waitFor('ola@example.com')
    expect(mail.subject).toBe('Confirm your email address')
    const browser = new Browser()
    const page = await browser.follow(linkIn(mail, '/auth/email/verify?token='))
    const form = formOf(await page.res.text(), page.url)
    expect((await browser.request(form.action, { form: form.fields })).status).toBe(200)
    expect(await users('ola@')).toEqual([expect.objectContaining({ emailVerified: true })])

    const config = await discover(t, web.id, web.secret)
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
    })
    const callback = await signIn(new Browser(), url, {
      email: 'ola@example.com',
      password: 'ola picks a long passphrase',
    })
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    })
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)
    expect(info).toMatchObject({ email: 'ola@example.com', email_verified: true })
  })

  it('answers an email that has an account the same way, mails its owner, makes no second account', async () => {
    const same = await signUp(ADMIN.email.toUpperCase(), 'someone else tries a passphrase')
    expect(same.status).toBe(200)
    expect(same.html).toContain('Check your mail')
    const mail = await smtp.waitFor(ADMIN.email)
    expect(mail.subject).toBe('You already have an account')
    expect(linkIn(mail, '/auth/password/forgot')).toBe(`${t.issuer}/password/forgot`)
    expect(await users(ADMIN.email)).toHaveLength(1)
    // The old password still signs in: nothing changed for the owner.
    const config = await discover(t, web.id, web.secret)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
    })
    expect((await signIn(new Browser(), url, ADMIN)).searchParams.get('code')).toBeTruthy()
  })

  it('refuses a form without the CSRF cookie, and the login page links to it', async () => {
    const res = await fetch(`${t.issuer}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'x', email: 'eve@example.com', password: 'eve has a passphrase' }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(await users('eve@')).toEqual([])
    const config = await discover(t, web.id, web.secret)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
    })
    const login = await new Browser().follow(url.href)
    expect(await login.res.text()).toContain('href="/auth/signup"')
  })
})
