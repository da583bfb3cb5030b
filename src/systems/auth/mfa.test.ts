/**
 * The second factor end to end, through openid-client and a scripted browser: an account an admin
 * requires MFA of enrols at its next sign-in (the interaction is not finished before), then signs
 * in with codes from its app; a wrong code, a replayed code and a recovery code used twice are
 * refused; wrong codes lock out; CSRF; the admin reset; the audit log; one code submitted twice at
 * once passes once.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { LoginThrottle } from './brute-force.js'
import { Mfa } from './mfa.js'
import { partsFor } from './parts.js'
import {
  type AuthTestApp,
  adminApi,
  authApp,
  Browser,
  CC_CLIENT,
  discover,
  formOf,
  REDIRECT,
  webClient,
} from './testing.js'
import { matchStep, totp } from './totp.js'

const PASSWORD = 'a long passphrase for mfa'

describe.each(backends())('MFA: TOTP and recovery codes (%s)', (backend) => {
  let t: AuthTestApp
  let api: Awaited<ReturnType<typeof adminApi>>
  let web: { id: string; secret: string }
  beforeAll(async () => {
    t = await authApp(backend, { AUTH_LOGIN_ATTEMPTS: '3' })
    api = await adminApi(t)
    web = await webClient(t)
  }, 180_000)
  afterAll(() => t?.close())

  async function newUser(email: string): Promise<string> {
    const created = await api('POST', '/users', { email, password: PASSWORD, emailVerified: true })
    expect(created.status).toBe(201)
    const patched = await api('PATCH', `/users/${created.body.id}`, { mfaRequired: true })
    expect(patched.body).toMatchObject({ mfaRequired: true, mfaEnrolled: false })
    return created.body.id
  }

  /** Start a code flow and send the password: the page that follows (a second-factor page). */
  async function afterPassword(email: string, extra: Record<string, string> = {}, browser = new Browser()) {
    const config = await discover(t, web.id, web.secret)
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
      ...extra,
    })
    const login = await browser.follow(url.href)
    const form = formOf(await login.res.text(), login.url)
    const page = await browser.follow(form.action, {
      form: { ...form.fields, email, password: PASSWORD },
    })
    const html = await page.res.text()
    expect(page.res.status).toBe(200)
    return { config, verifier, browser, url: page.url, html }
  }

  /** Submit the page's form with `fields`; the next page, or the callback with its tokens. */
  async function submit(
    s: Awaited<ReturnType<typeof afterPassword>>,
    fields: Record<string, string>,
  ): Promise<{
    status: number
    html: string
    url: string
    tokens?: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
  }> {
    const form = formOf(s.html, s.url)
    let { res, url } = await s.browser.follow(form.action, { form: { ...form.fields, ...fields } })
    // The consent page of a first sign-in to this client.
    let html = url.startsWith(REDIRECT) ? '' : await res.text()
    if (html.includes('name="decision"')) {
      const consent = formOf(html, url)
      ;({ res, url } = await s.browser.follow(consent.action, {
        form: { ...consent.fields, decision: 'allow' },
      }))
      html = url.startsWith(REDIRECT) ? '' : await res.text()
    }
    if (!url.startsWith(REDIRECT)) return { status: res.status, html, url }
    const tokens = await oidc.authorizationCodeGrant(s.config, new URL(url), {
      pkceCodeVerifier: s.verifier,
      expectedState: 's',
    })
    return { status: 200, html: '', url, tokens }
  }

  const secretOf = (html: string) =>
    /<code id="secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '')
  /** A 6-digit code that is none of the codes valid now (a wrong code). */
  const wrongCode = (secret: string) => {
    for (let n = 0; ; n++) {
      const c = String(n).padStart(6, '0')
      if (matchStep(secret, c, Date.now(), 2) === undefined) return c
    }
  }
  const audit = async (userId: string) =>
    ((await api('GET', `/audit?user=${userId}&limit=100`)).body.items as { event: string; detail: object }[])
      .map((e) => e)
      .reverse()

  let secret: string
  let firstCode: string
  let userId: string
  let recovery: string[]

  it('enrols at the first sign-in after an admin requires it; nothing is finished before the code', async () => {
    userId = await newUser('mia@example.com')
    const s = await afterPassword('mia@example.com')
    expect(s.html).toContain('Set up two-step verification')
    expect(s.html).toMatch(/href="otpauth:\/\/totp\//)
    secret = secretOf(s.html)
    // The interaction is still at its login prompt: the consent step is refused, and a reload
    // shows the same enrolment (same key).
    const form = formOf(s.html, s.url)
    const consent = await s.browser.request(form.action.replace('/mfa/enrol', '/consent'), {
      form: { csrf: form.fields.csrf!, decision: 'allow' },
    })
    expect(consent.status).toBe(400)
    const again = await s.browser.follow(s.url)
    expect(secretOf(await again.res.text())).toBe(secret)

    const wrong = await submit(s, { code: wrongCode(secret) })
    expect(wrong.status).toBe(401)
    expect(wrong.html).toContain('not right')
    expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(false)

    firstCode = totp(secret, Date.now())
    const shown = await submit(s, { code: firstCode })
    expect(shown.status).toBe(200)
    recovery = [...shown.html.matchAll(/<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})<\/code><\/li>/g)].map(
      (m) => m[1]!,
    )
    expect(recovery).toHaveLength(10)
    expect(new Set(recovery).size).toBe(10)
    const done = await submit({ ...s, html: shown.html, url: shown.url }, {})
    expect(done.tokens?.access_token).toBeTruthy()
    expect(done.tokens!.claims()!.sub).toBe(userId)
    expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(true)
  })

  it('asks an enrolled account for a code; a wrong code and a replayed code are refused', async () => {
    const s = await afterPassword('mia@example.com')
    expect(s.html).toContain('Two-step verification')
    expect(s.html).not.toContain('Set up')
    const wrong = await submit(s, { code: wrongCode(secret) })
    expect(wrong.status).toBe(401)
    // The code that enrolled is spent, even while the app still shows it (same 30-second step).
    const replayed = await submit(s, { code: firstCode })
    expect(replayed.status).toBe(401)
    expect(replayed.tokens).toBeUndefined()
    // The next step's code (accepted one step early: clock drift) signs in.
    const ok = await submit(s, { code: totp(secret, Date.now() + 30_000) })
    expect(ok.tokens?.access_token).toBeTruthy()
    const claims = ok.tokens!.claims()!
    expect(claims.sub).toBe(userId)
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']))
  })

  it('takes a recovery code once', async () => {
    const s = await afterPassword('mia@example.com')
    const ok = await submit(s, { code: recovery[0]!.toLowerCase() })
    expect(ok.tokens?.access_token).toBeTruthy()
    const again = await afterPassword('mia@example.com')
    const twice = await submit(again, { code: recovery[0]! })
    expect(twice.status).toBe(401)
    expect(twice.tokens).toBeUndefined()
    const other = await submit(again, { code: recovery[1]!.replace('-', '') })
    expect(other.tokens?.access_token).toBeTruthy()
  })

  it('records every step in the audit log', async () => {
    const events = (await audit(userId)).map((e) => e.event)
    expect(events).toEqual(
      expect.arrayContaining([
        'user.mfa_required',
        'login.password_verified',
        'mfa.enrolled',
        'mfa.failed',
        'mfa.verified',
        'mfa.recovery_code_used',
        'login.succeeded',
      ]),
    )
    // A password alone is never a login.succeeded for this account: each follows a second factor.
    const log = await audit(userId)
    for (const [i, e] of log.entries())
      if (e.event === 'login.succeeded')
        expect(['mfa.verified', 'mfa.enrolled']).toContain(
          log.slice(0, i).findLast((x) => x.event.startsWith('mfa.') && x.event !== 'mfa.recovery_code_used')
            ?.event,
        )
  })

  it('locks out after repeated wrong codes, even for the right one', async () => {
    const id = await newUser('leo@example.com')
    const s = await afterPassword('leo@example.com')
    const mine = secretOf(s.html)
    const enrolled = await submit(s, { code: totp(mine, Date.now()) })
    await submit({ ...s, html: enrolled.html, url: enrolled.url }, {})
    const next = await afterPassword('leo@example.com')
    for (let i = 0; i < 3; i++) expect((await submit(next, { code: wrongCode(mine) })).status).toBe(401)
    const locked = await next.browser.follow(formOf(next.html, next.url).action, {
      form: { ...formOf(next.html, next.url).fields, code: totp(mine, Date.now() + 30_000) },
    })
    expect(locked.res.status).toBe(429)
    expect(Number(locked.res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await locked.res.text()).toContain('Too many attempts')
    // A right password does not clear the code's lockout.
    const fresh = await afterPassword('leo@example.com')
    expect((await submit(fresh, { code: totp(mine, Date.now() + 30_000) })).status).toBe(429)
    expect((await audit(id)).map((e) => e.event)).toContain('mfa.locked')
  })

  it('refuses a code form without the CSRF token of its interaction', async () => {
    const s = await afterPassword('mia@example.com')
    const form = formOf(s.html, s.url)
    const res = await s.browser.request(form.action, { form: { csrf: 'forged', code: '123456' } })
    expect(res.status).toBe(403)
    // The page itself: no script allowed at all, no framing, not cached.
    const page = await s.browser.request(s.url)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/)
    expect(page.headers.get('content-security-policy')).not.toContain('script-src')
    expect(page.headers.get('cache-control')).toBe('no-store')
  })

  it('counts the codes checked in the metrics', async () => {
    const metrics = await (await fetch(`${t.base}/metrics`)).text()
    expect(metrics).toMatch(/auth_mfa_checks_total\{step="verify",result="ok"\} [1-9]/)
    expect(metrics).toMatch(/auth_mfa_checks_total\{step="verify",result="wrong"\} [1-9]/)
    expect(metrics).toMatch(/auth_mfa_checks_total\{step="verify",result="locked"\} [1-9]/)
    expect(metrics).toMatch(/auth_mfa_checks_total\{step="enrol",result="ok"\} [1-9]/)
  })

  it('an admin removes the second factor; the account enrols again at its next sign-in', async () => {
    expect((await api('DELETE', `/users/${userId}/mfa`)).status).toBe(204)
    expect((await api('DELETE', `/users/${userId}/mfa`)).body).toMatchObject({ code: 'AUTH_MFA_NOT_FOUND' })
    expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(false)
    const s = await afterPassword('mia@example.com')
    expect(s.html).toContain('Set up two-step verification')
    expect(secretOf(s.html)).not.toBe(secret)
    const reset = (await audit(userId)).find((e) => e.event === 'mfa.reset') as { actor?: string } | undefined
    expect(reset?.actor).toBe(CC_CLIENT.id)
  })

  it('a client asks for a second factor (acr_values=mfa): a signed-in session signs in again, and enrols', async () => {
    const created = await api('POST', '/users', {
      email: 'kai@example.com',
      password: PASSWORD,
      emailVerified: true,
    })
    const browser = new Browser()
    // Without acr_values: the password is enough, and the ID token says so.
    const plain = await afterPassword('kai@example.com', {}, browser)
    const done = await submit(plain, { decision: 'allow' })
    expect(done.tokens!.claims()!.acr).toBe('pwd')
    // The same browser asking for mfa: not the session's acr, so the login page again.
    const config = await discover(t, web.id, web.secret)
    const stepUp = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
      acr_values: 'mfa',
    })
    const again = await browser.follow(stepUp.href)
    expect(await again.res.text()).toContain('name="password"')
    const s = await afterPassword('kai@example.com', { acr_values: 'mfa' }, browser)
    expect(s.html).toContain('Set up two-step verification')
    const shown = await submit(s, { code: totp(secretOf(s.html), Date.now()) })
    const ok = await submit({ ...s, html: shown.html, url: shown.url }, {})
    expect(ok.tokens!.claims()).toMatchObject({ sub: created.body.id, acr: 'mfa' })
    expect((await api('GET', `/users/${created.body.id}`)).body).toMatchObject({
      mfaEnrolled: true,
      mfaRequired: false,
    })
  })

  it('one code submitted twice at once passes once', async () => {
    const system = t.app.systems.find((x) => x.definition.name === 'auth')!
    const p = await partsFor(system.context as never)
    const id = await newUser('zoe@example.com')
    const now = 1_700_000_000_000
    const mfa = new Mfa({
      db: system.context.db,
      audit: p.audit,
      throttle: new LoginThrottle({ attempts: 100, lockoutMs: 60_000 }),
      requiredForAll: false,
      now: () => now,
    })
    const s = await mfa.enrolmentSecret(id)
    await mfa.begin('uid-zoe', id, 'enrol')
    expect((await mfa.confirmEnrolment('uid-zoe', id, totp(s!, now), '10.0.0.1')).ok).toBe(true)
    const code = totp(s!, now + 30_000)
    const results = await Promise.all([1, 2, 3].map(() => mfa.verify(id, code, '10.0.0.1')))
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    // A code of an earlier step than the last accepted one is refused too.
    expect((await mfa.verify(id, totp(s!, now), '10.0.0.1')).ok).toBe(false)
  })
})
