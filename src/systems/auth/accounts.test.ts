/**
 * Accounts through the login page: the password policy, the same answer for an unknown email and
 * a wrong password, the lockout after repeated failures (per account, whether or not it exists),
 * rehashing a hash made with older parameters, and the audit log of it all.
 */
import { createHash } from 'node:crypto'
import { type Algorithm, hash } from '@node-rs/argon2'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { passwordProblem } from './passwords.js'
import {
  ADMIN,
  type AuthTestApp,
  authApp,
  Browser,
  cli,
  discover,
  formOf,
  REDIRECT,
  webClient,
} from './testing.js'

describe('password policy', () => {
  it('refuses short, email-like and common passwords, accepts a passphrase', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/)
    expect(passwordProblem('alice@example.com', 'alice@example.com')).toMatch(/email/)
    expect(passwordProblem('Password123')).toMatch(/common/)
    expect(passwordProblem('QWERTYUIOP')).toMatch(/common/)
    expect(passwordProblem('correct horse battery staple')).toBeUndefined()
  })
})

describe.each(backends())('logins (%s)', (backend) => {
  let t: AuthTestApp
  let web: { id: string; secret: string }
  beforeAll(async () => {
    t = await authApp(backend, { AUTH_LOGIN_ATTEMPTS: '3', AUTH_LOGIN_LOCKOUT_S: '300' })
    web = await webClient(t)
  }, 180_000)
  afterAll(() => t?.close())

  const db = () => t.app.systems.find((s) => s.definition.name === 'auth')!.context.db

  /** Open the login page of a new authorization; returns the browser and the form. */
  async function loginForm() {
    const config = await discover(t, web.id, web.secret)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const browser = new Browser()
    const { res, url: at } = await browser.follow(url.href)
    const html = await res.text()
    expect(html).toContain('name="password"')
    return { browser, form: formOf(html, at) }
  }
  async function tryLogin(email: string, password: string) {
    const { browser, form } = await loginForm()
    const res = await browser.request(form.action, { form: { ...form.fields, email, password } })
    return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') }
  }

  it('refuses a weak password at account creation', async () => {
    await expect(
      cli(t, 'user create', ['--email', 'weak@example.com', '--password', 'password1']),
    ).rejects.toMatchObject({
      code: 'AUTH_INVALID_USER',
    })
    await expect(
      cli(t, 'user create', ['--email', ADMIN.email, '--password', 'another long passphrase']),
    ).rejects.toMatchObject({
      code: 'AUTH_EMAIL_TAKEN',
    })
  })

  it('answers an unknown email exactly like a wrong password', async () => {
    const wrong = await tryLogin('bob@example.com', 'not the password')
    await cli(t, 'user create', ['--email', 'carol@example.com', '--password', 'carol has a long passphrase'])
    const wrongPassword = await tryLogin('carol@example.com', 'not the password')
    expect(wrong.status).toBe(401)
    expect(wrongPassword.status).toBe(401)
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)</.exec(html)?.[1]
    expect(message(wrong.text)).toBe(message(wrongPassword.text))
    expect(message(wrong.text)).toBe('The email or the password is wrong.')
  })

  it('locks an account after repeated failures, even with the right password, and the same for unknown emails', async () => {
    await cli(t, 'user create', ['--email', 'dave@example.com', '--password', 'dave has a long passphrase'])
    for (let i = 0; i < 3; i++) expect((await tryLogin('dave@example.com', `wrong ${i}`)).status).toBe(401)
    const locked = await tryLogin('dave@example.com', 'dave has a long passphrase')
    expect(locked.status).toBe(429)
    expect(Number(locked.retryAfter)).toBeGreaterThan(0)
    expect(locked.text).toContain('Too many attempts')
    // An email with no account locks the same way after the same number of failures.
    for (let i = 0; i < 3; i++) expect((await tryLogin('nobody@example.com', `wrong ${i}`)).status).toBe(401)
    expect((await tryLogin('nobody@example.com', 'anything at all')).status).toBe(429)
    // Another account is not locked by these.
    const ok = await tryLogin(ADMIN.email, ADMIN.password)
    expect(ok.status).toBe(303)
    const { rows } = await db().query<{ event: string; n: number }>(
      "SELECT event, count(*)::int AS n FROM audit_log WHERE event LIKE 'login.%' GROUP BY event",
    )
    const counts = Object.fromEntries(rows.map((r) => [r.event, r.n]))
    expect(counts['login.locked']).toBeGreaterThanOrEqual(2)
    expect(counts['login.failed']).toBeGreaterThanOrEqual(6)
    expect(counts['login.succeeded']).toBeGreaterThanOrEqual(1)
  })

  it('rehashes a password hashed with weaker parameters at the next login', async () => {
    await cli(t, 'user create', ['--email', 'erin@example.com', '--password', 'erin has a long passphrase'])
    const weak = await hash('erin has a long passphrase', {
      algorithm: 2 as Algorithm,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    })
    await db().query('UPDATE users SET password_hash = $2 WHERE email = $1', ['erin@example.com', weak])
    expect((await tryLogin('erin@example.com', 'erin has a long passphrase')).status).toBe(303)
    const { rows } = await db().query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      ['erin@example.com'],
    )
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })

  it('serves the login page with a strict CSP: only the passkey script, by its hash', async () => {
    const config = await discover(t, web.id, web.secret)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const { res } = await new Browser().follow(url.href)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("form-action 'self' http://127.0.0.1:1")
    // One script may run: the passkey ceremony's, allowed by the hash of its exact text.
    const html = await res.text()
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)
    expect(scripts).toHaveLength(1)
    const hash = createHash('sha256').update(scripts[0]!).digest('base64')
    expect(csp).toContain(`script-src 'sha256-${hash}'`)
    expect(csp).not.toContain('unsafe-inline')
    expect(csp.match(/script-src [^;]*/)![0].split(' ')).toHaveLength(2)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })
})
