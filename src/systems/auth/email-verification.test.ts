/**
 * Email verification by mail, end to end: an account made through the admin API gets a link
 * (mailed through a job to an SMTP server on loopback), the GET only shows a button, the POST
 * verifies once, `email_verified` in UserInfo follows, an expired link and a resend for a
 * verified email are refused.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  type AuthTestApp,
  adminApi,
  authApp,
  Browser,
  discover,
  formOf,
  REDIRECT,
  signIn,
  webClient,
} from './testing.js'
import { linkIn, type MailSink, mailSink } from './testing.mail.js'

describe.each(backends())('email verification (%s)', (backend) => {
  let t: AuthTestApp
  let smtp: MailSink
  let api: Awaited<ReturnType<typeof adminApi>>
  let web: { id: string; secret: string }
  beforeAll(async () => {
    smtp = await mailSink()
    t = await authApp(backend, {
      AUTH_SMTP_URL: smtp.url,
      AUTH_MAIL_FROM: 'auth@example.com',
    })
    api = await adminApi(t)
    web = await webClient(t)
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await smtp.close()
  })

  const linkTo = async (to: string, count = 1) => {
    const mail = await smtp.waitFor(to, count)
    expect(mail.subject).toBe('Confirm your email address')
    return linkIn(mail, '/auth/email/verify?token=')
  }
  async function emailVerifiedClaim(creds: { email: string; password: string }) {
    const config = await discover(t, web.id, web.secret)
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
    })
    const callback = await signIn(new Browser(), url, creds)
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    })
    return (await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).email_verified
  }

  it('mails a link to an account the admin made; the link verifies once and the claim follows', async () => {
    const creds = { email: 'gina@example.com', password: 'a long passphrase 6' }
    const { id } = (await api('POST', '/users', creds)).body
    const link = await linkTo(creds.email)
    expect(await emailVerifiedClaim(creds)).toBe(false)
    const browser = new Browser()
    // The GET (what a mail scanner does) changes nothing.
    const shown = await browser.request(link)
    expect(shown.status).toBe(200)
    expect((await api('GET', `/users/${id}`)).body.emailVerified).toBe(false)
    const form = formOf(await shown.text(), link)
    const done = await browser.request(form.action, { form: form.fields })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Email confirmed')
    expect((await api('GET', `/users/${id}`)).body.emailVerified).toBe(true)
    expect(await emailVerifiedClaim(creds)).toBe(true)
    expect((await browser.request(form.action, { form: form.fields })).status).toBe(400)
    expect((await browser.request(link)).status).toBe(400)
    expect((await api('POST', `/users/${id}/verification`)).body.code).toBe('AUTH_EMAIL_VERIFIED')
    expect((await api('GET', `/audit?user=${id}&event=email.verified`)).body.items).toHaveLength(1)
  }, 120_000)

  it('refuses an expired link and resends a new one; no mail for an account made verified', async () => {
    const creds = { email: 'hugo@example.com', password: 'a long passphrase 7' }
    const { id } = (await api('POST', '/users', creds)).body
    const first = await linkTo(creds.email)
    const system = t.app.systems.find((s) => s.definition.name === 'auth')!
    await system.context.db.query("UPDATE email_verifications SET expires_at = now() - interval '1 second'")
    expect((await new Browser().request(first)).status).toBe(400)
    const token = new URL(first).searchParams.get('token')!
    expect((await new Browser().request(`${t.issuer}/email/verify`, { form: { token } })).status).toBe(400)
    expect((await api('POST', `/users/${id}/verification`)).status).toBe(202)
    const second = await linkTo(creds.email, 2)
    const page = await new Browser().request(second)
    const form = formOf(await page.text(), second)
    expect((await new Browser().request(form.action, { form: form.fields })).status).toBe(200)
    expect((await api('GET', `/users/${id}`)).body.emailVerified).toBe(true)
    const verified = await api('POST', '/users', {
      email: 'ida@example.com',
      password: 'a long passphrase 8',
      emailVerified: true,
    })
    expect(verified.body.emailVerified).toBe(true)
    expect(
      (await api('GET', `/audit?user=${verified.body.id}&event=email_verification.sent`)).body.items,
    ).toEqual([])
    for (const bad of ['', 'x', 'a'.repeat(300)])
      expect(
        (await new Browser().request(`${t.issuer}/email/verify`, { form: { token: bad } })).status,
      ).toBeLessThan(500)
  }, 120_000)
})
