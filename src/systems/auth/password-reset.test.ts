/**
 * Password reset by mail, end to end: the "forgot" page, the mail sent through a job to an SMTP
 * server on loopback (smtp-server, parsed with mailparser), the link's page, the new password, and
 * what the reset does: the link works once, the old password stops working, and refresh tokens
 * issued before are revoked. An unknown email gets the same page and no mail.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  type AuthTestApp,
  authApp,
  Browser,
  cli,
  discover,
  formOf,
  REDIRECT,
  signIn,
  webClient,
} from './testing.js'
import { type MailSink, mailSink } from './testing.mail.js'

describe.each(backends())('password reset by mail (%s)', (backend) => {
  let t: AuthTestApp
  let smtp: MailSink
  let web: { id: string; secret: string }
  beforeAll(async () => {
    smtp = await mailSink()
    t = await authApp(backend, {
      AUTH_SMTP_URL: smtp.url,
      AUTH_MAIL_FROM: 'auth@example.com',
    })
    web = await webClient(t)
    await cli(t, 'user create', ['--email', 'frank@example.com', '--password', 'frank has an old passphrase'])
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  async function askForLink(browser: Browser, email: string) {
    const { res, url } = await browser.follow(`${t.issuer}/password/forgot`)
    const form = formOf(await res.text(), url)
    const sent = await browser.request(form.action, { form: { ...form.fields, email } })
    expect(sent.status).toBe(200)
    return sent.text()
  }
  async function refreshTokenOf(email: string, password: string) {
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
    const callback = await signIn(new Browser(), url, { email, password })
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    })
    return { config, refresh: tokens.refresh_token! }
  }

  it('mails a link that sets a new password once, signs the account out everywhere, and answers unknown emails alike', async () => {
    const before = await refreshTokenOf('frank@example.com', 'frank has an old passphrase')

    const browser = new Browser()
    const known = await askForLink(browser, 'Frank@Example.com')
    const mail = await smtp.waitFor('frank@example.com')
    expect(mail.subject).toBe('Reset your password')
    expect(mail.from?.text).toContain('auth@example.com')
    const link = /(http:\S+\/password\/reset\?token=\S+)/.exec(mail.text!)![1]!
    expect(link.startsWith(`${t.issuer}/password/reset`)).toBe(true)

    // An unknown email: the same page, and no link recorded.
    const unknown = await askForLink(new Browser(), 'nobody@example.com')
    expect(unknown).toBe(known)

    const { res, url } = await browser.follow(link)
    expect(res.status).toBe(200)
    const form = formOf(await res.text(), url)
    const weak = await browser.request(form.action, { form: { ...form.fields, password: 'password1' } })
    expect(weak.status).toBe(400)
    expect(await weak.text()).toContain('common')
    const again = formOf(await (await browser.follow(link)).res.text(), url)
    const done = await browser.request(again.action, {
      form: { ...again.fields, password: 'frank has a new passphrase' },
    })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Password changed')

    // The link is used up; the refresh token from before is revoked; the new password signs in.
    expect((await browser.follow(link)).res.status).toBe(400)
    await expect(oidc.refreshTokenGrant(before.config, before.refresh)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    await refreshTokenOf('frank@example.com', 'frank has a new passphrase')
    await expect(refreshTokenOf('frank@example.com', 'frank has an old passphrase')).rejects.toThrow(/401/)

    const db = t.app.systems.find((s) => s.definition.name === 'auth')!.context.db
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM password_resets')
    expect(rows[0]!.n).toBe(1)
    expect(smtp.mails.every((m) => !JSON.stringify(m.to).includes('nobody@'))).toBe(true)
  })

  it('refuses a forged CSRF token and an unknown link', async () => {
    const browser = new Browser()
    const { res, url } = await browser.follow(`${t.issuer}/password/forgot`)
    const form = formOf(await res.text(), url)
    const forged = await browser.request(form.action, {
      form: { csrf: 'forged', email: 'frank@example.com' },
    })
    expect(forged.status).toBe(403)
    const noCookie = await new Browser().request(form.action, {
      form: { ...form.fields, email: 'frank@example.com' },
    })
    expect(noCookie.status).toBe(403)
    expect((await browser.follow(`${t.issuer}/password/reset?token=nope`)).res.status).toBe(400)
  })
})
