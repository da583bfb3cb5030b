/**
 * Passkeys in Chromium with CDP's WebAuthn virtual authenticator: registered on the account page
 * (after signing in there through the provider), then used to sign in to an openid-client
 * application as the only factor (`acr=mfa`, `amr` hwk) and as the second factor after a password;
 * the signature counter stored advances with the authenticator's; a copy of the credential in
 * another authenticator (a cloned key, its counter behind) is refused and audited; an assertion
 * answered twice is refused the second time.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  browserRequired,
  findChromium,
  HOW_TO_INSTALL,
  launchChromium,
} from '../../platform/testing/chromium.js'
import { type VirtualCredential, virtualAuthenticator, watchedPage } from './testing.browser.js'
import { type AuthTestApp, adminApi, authApp } from './testing.js'
import { type RelyingParty, relyingParty } from './testing.rp.js'

const chromiumPath = findChromium()
const skip = !chromiumPath && !browserRequired()
if (skip) console.warn(`auth passkey test: skipped (Chromium not found; ${HOW_TO_INSTALL})`)

const PASSWORD = 'a passkey passphrase 42'
const EMAIL = 'pia@example.com'

describe.skipIf(skip)('passkeys in Chromium', () => {
  describe.each(backends())('%s', (backend) => {
    let t: AuthTestApp
    let rp: RelyingParty
    let browser: Browser | undefined
    let api: Awaited<ReturnType<typeof adminApi>>
    let userId: string
    let context: BrowserContext
    let page: Page
    let authenticator: Awaited<ReturnType<typeof virtualAuthenticator>>
    const problems: string[] = []

    const db = () => t.app.systems.find((s) => s.definition.name === 'auth')!.context.db
    const storedCounter = async () =>
      Number(
        (await db().query<{ counter: string }>('SELECT counter FROM passkeys WHERE user_id = $1', [userId]))
          .rows[0]?.counter,
      )
    const h1 = (p: Page) => p.locator('h1').textContent()

    beforeAll(async () => {
      if (!chromiumPath)
        throw new Error(`Chromium is required under CI=true or TEST_SERVICES=1; ${HOW_TO_INSTALL}`)
        // WebAuthn needs a domain as the relying party id (not an IP address): the issuer is on localhost.
      ;[t, browser] = await Promise.all([
        authApp(backend, { HOST: 'localhost' }),
        launchChromium(chromiumPath),
      ])
      expect(new URL(t.issuer).hostname).toBe('localhost')
      rp = await relyingParty(t)
      api = await adminApi(t)
      const created = await api('POST', '/users', { email: EMAIL, password: PASSWORD, emailVerified: true })
      expect(created.status).toBe(201)
      userId = created.body.id
      context = await browser!.newContext()
      page = await watchedPage(context, problems)
      authenticator = await virtualAuthenticator(page)
    }, 240_000)

    afterAll(async () => {
      await browser?.close()
      await rp?.close()
      await t?.close()
    })

    /** Sign in to the application with the password (and whatever follows up to the second factor). */
    async function passwordStep(p: Page) {
      await p.goto(`${rp.origin}/login`)
      await p.getByLabel('Email').fill(EMAIL)
      await p.getByLabel('Password').fill(PASSWORD)
      await p.getByRole('button', { name: 'Sign in', exact: true }).click()
    }

    /**
     * Allow on the consent page if it is shown, then wait for the application's page. The passkey
     * ceremony runs in the page's script before it posts, so the URL (still an interaction's) says
     * nothing: wait for what the next page shows.
     */
    async function toApplication(p: Page) {
      const allow = p.getByRole('button', { name: 'Allow' })
      const signedIn = p.getByRole('heading', { level: 1, name: 'Signed in', exact: true })
      await allow.or(signedIn).first().waitFor({ timeout: 60_000 })
      if (await allow.isVisible()) await allow.click()
      await signedIn.waitFor({ timeout: 60_000 })
      expect(p.url().startsWith(`${rp.origin}/cb?`)).toBe(true)
      return rp.signIns.at(-1)!
    }

    it('registers a passkey on the account page after signing in there', async () => {
      await page.goto(`${t.issuer}/account`)
      expect(await h1(page)).toBe('Your account')
      await page.getByRole('link', { name: 'Sign in' }).click()
      await page.getByLabel('Email').fill(EMAIL)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      // The account page's own client needs no consent page.
      await page.waitForURL(`${t.issuer}/account`)
      expect(await page.textContent('main')).toContain(`Signed in as ${EMAIL}`)
      expect(await page.textContent('main')).toContain('No passkeys.')

      await page.getByLabel('Name of the new passkey').fill('Laptop')
      await page.getByRole('button', { name: 'Add a passkey' }).click()
      await page.getByRole('status').filter({ hasText: 'Passkey Laptop added.' }).waitFor({ timeout: 60_000 })
      // The account's first second factor comes with recovery codes.
      expect(await page.locator('ol.codes li').count()).toBe(10)
      expect(await page.locator('#passkeys li').count()).toBe(1)

      const creds = await authenticator.credentials()
      expect(creds).toHaveLength(1)
      expect(creds[0]).toMatchObject({ rpId: 'localhost', isResidentCredential: true })
      expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(true)
      expect(problems).toEqual([])
    }, 120_000)

    it('signs in to the application with the passkey alone: acr mfa, the counter advances', async () => {
      await context.clearCookies()
      const before = await storedCounter()
      await page.goto(`${rp.origin}/login`)
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      const { claims } = await toApplication(page)
      expect(claims.sub).toBe(userId)
      expect(claims.acr).toBe('mfa')
      expect(claims.amr).toEqual(expect.arrayContaining(['hwk']))
      const [cred] = await authenticator.credentials()
      expect(await storedCounter()).toBe(cred!.signCount)
      expect(cred!.signCount).toBeGreaterThan(before)
      expect(problems).toEqual([])
    }, 120_000)

    it('is asked for after the password as the second factor', async () => {
      await context.clearCookies()
      await passwordStep(page)
      await page
        .getByRole('heading', { level: 1, name: 'Two-step verification' })
        .waitFor({ timeout: 60_000 })
      expect(await h1(page)).toBe('Two-step verification')
      await page.getByRole('button', { name: 'Use a passkey' }).click()
      const { claims } = await toApplication(page)
      expect(claims.sub).toBe(userId)
      expect(claims.acr).toBe('mfa')
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'hwk']))
      expect(problems).toEqual([])
    }, 120_000)

    it('refuses a copy of the authenticator whose counter is behind, and audits it', async () => {
      // Copy the key as it is now, then use the original once more: the copy's next counter is one
      // the server has already seen.
      const [original] = await authenticator.credentials()
      const copy: VirtualCredential = { ...original! }
      await context.clearCookies()
      await page.goto(`${rp.origin}/login`)
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await toApplication(page)
      const seen = await storedCounter()

      const other = await browser!.newContext()
      const thief = await watchedPage(other, [])
      await (await virtualAuthenticator(thief)).add(copy)
      await thief.goto(`${rp.origin}/login`)
      const signIns = rp.signIns.length
      await thief.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await thief.getByRole('alert').filter({ hasText: 'looks like a copy' }).waitFor({ timeout: 60_000 })
      expect(new URL(thief.url()).pathname).toMatch(/^\/auth\/interaction\//)
      expect(rp.signIns).toHaveLength(signIns)
      expect(await storedCounter()).toBe(seen)
      const audit = (await api('GET', `/audit?user=${userId}&limit=100`)).body.items as { event: string }[]
      expect(audit.map((e) => e.event)).toContain('passkey.cloned')
      await other.close()

      // The original still works.
      await context.clearCookies()
      await page.goto(`${rp.origin}/login`)
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      expect((await toApplication(page)).claims.sub).toBe(userId)
    }, 120_000)

    it('accepts an assertion once: the same response posted again is refused', async () => {
      await context.clearCookies()
      await page.goto(`${rp.origin}/login`)
      // Capture the form post the script makes, then replay it.
      const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/passkey'))
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      const request = await posted
      await toApplication(page)
      const replay = await page.request.post(request.url(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        data: request.postData()!,
        maxRedirects: 0,
      })
      expect(replay.status()).toBeGreaterThanOrEqual(400)
      expect(replay.status()).toBeLessThan(500)
    }, 120_000)
  })
})
