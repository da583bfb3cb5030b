/**
 * Sign-in in a real browser: headless Chromium (Debian's, through playwright-core) signs in to an
 * openid-client application through the HTML pages: the login form, the enrolment of an
 * authenticator app that an administrator required, the recovery codes, the consent page, and the
 * callback where the application redeems the code. Then a second browser signs in with a code from
 * the app. What the scripted browser of the other tests cannot show is shown here: the pages work
 * under their Content-Security-Policy (a refused style or a form blocked by `form-action` would be
 * reported by Chromium), labels and buttons are what a person would click, and cookies behave as
 * a browser keeps them (SameSite, paths).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import {
  browserRequired,
  findChromium,
  HOW_TO_INSTALL,
  launchChromium,
} from '../../platform/testing/chromium.js'
import { watchedPage } from './testing.browser.js'
import { type AuthTestApp, adminApi, authApp } from './testing.js'
import { type RelyingParty, relyingParty } from './testing.rp.js'
import { matchStep, stepAt, totp } from './totp.js'

const chromiumPath = findChromium()
const skip = !chromiumPath && !browserRequired()
if (skip) console.warn(`auth browser test: skipped (Chromium not found; ${HOW_TO_INSTALL})`)

const PASSWORD = 'a browser passphrase 42'

describe.skipIf(skip)('sign-in in Chromium', () => {
  describe.each(backends())('%s', (backend) => {
    let t: AuthTestApp
    let rp: RelyingParty
    let browser: Browser | undefined
    let userId: string
    let secret: string
    let enrolCode: string
    const problems: string[] = []

    beforeAll(async () => {
      if (!chromiumPath)
        throw new Error(`Chromium is required under CI=true or TEST_SERVICES=1; ${HOW_TO_INSTALL}`)
      ;[t, browser] = await Promise.all([authApp(backend), launchChromium(chromiumPath)])
      rp = await relyingParty(t)
      const api = await adminApi(t)
      const created = await api('POST', '/users', {
        email: 'bea@example.com',
        password: PASSWORD,
        emailVerified: true,
      })
      expect(created.status).toBe(201)
      userId = created.body.id
      expect((await api('PATCH', `/users/${userId}`, { mfaRequired: true })).status).toBe(200)
    }, 240_000)

    afterAll(async () => {
      await browser?.close()
      await rp?.close()
      await t?.close()
    })

    it('signs in with a password, enrols an authenticator app, consents, and reaches the application', async () => {
      const context = await browser!.newContext()
      const page = await watchedPage(context, problems)
      await page.goto(`${rp.origin}/login`)
      expect(new URL(page.url()).pathname).toMatch(/^\/auth\/interaction\//)
      await expect(page.locator('h1').textContent()).resolves.toBe('Sign in')
      expect(await page.textContent('main')).toContain('Browser test app')

      // A wrong password: the same page again, with an alert, and nothing signed in.
      await page.getByLabel('Email').fill('bea@example.com')
      await page.getByLabel('Password').fill('not the password')
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect(page.getByRole('alert').textContent()).resolves.toContain('wrong')

      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect(page.locator('h1').textContent()).resolves.toBe('Set up two-step verification')
      secret = (await page.locator('#secret').textContent())!.replace(/\s/g, '')
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)

      // A wrong code keeps the enrolment open.
      let wrong = 0
      while (matchStep(secret, String(wrong).padStart(6, '0'), Date.now(), 2) !== undefined) wrong++
      await page.getByLabel('Code').fill(String(wrong).padStart(6, '0'))
      await page.getByRole('button', { name: 'Turn on' }).click()
      await expect(page.getByRole('alert').textContent()).resolves.toContain('not right')

      enrolCode = totp(secret, Date.now())
      await page.getByLabel('Code').fill(enrolCode)
      await page.getByRole('button', { name: 'Turn on' }).click()
      await expect(page.locator('h1').textContent()).resolves.toBe('Two-step verification is on')
      expect(await page.locator('ol.codes li').count()).toBe(10)
      await page.getByRole('button', { name: 'Continue' }).click()

      await expect(page.locator('h1').textContent()).resolves.toBe('Allow access?')
      await page.getByRole('button', { name: 'Allow' }).click()
      await page.waitForURL(`${rp.origin}/cb?**`)
      await expect(page.locator('h1').textContent()).resolves.toBe('Signed in')

      expect(rp.signIns).toHaveLength(1)
      const { claims, userinfo } = rp.signIns[0]!
      expect(claims.sub).toBe(userId)
      expect(userinfo).toMatchObject({ sub: userId, email: 'bea@example.com', email_verified: true })
      expect(claims.acr).toBe('mfa')
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']))
      // The session cookie is the browser's: a second sign-in to the application needs no form.
      await page.goto(`${rp.origin}/login`)
      await page.waitForURL(`${rp.origin}/cb?**`)
      expect(rp.signIns).toHaveLength(2)
      expect(rp.signIns[1]!.claims.sub).toBe(userId)
      await context.close()
      expect(problems).toEqual([])
    }, 120_000)

    it('a second browser signs in with the password and a code from the app', async () => {
      const context = await browser!.newContext()
      const page = await watchedPage(context, problems)
      await page.goto(`${rp.origin}/login`)
      await page.getByLabel('Email').fill('bea@example.com')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect(page.locator('h1').textContent()).resolves.toBe('Two-step verification')

      // The code the enrolment used is refused (used once); the app's next code is accepted
      // (one step of drift is allowed, so no waiting for the clock).
      await page.getByLabel('Code').fill(enrolCode)
      await page.getByRole('button', { name: 'Verify' }).click()
      await expect(page.getByRole('alert').textContent()).resolves.toContain('not right')
      await page.getByLabel('Code').fill(totp(secret, (stepAt(Date.now()) + 1) * 30_000))
      await page.getByRole('button', { name: 'Verify' }).click()

      await expect(page.locator('h1').textContent()).resolves.toBe('Allow access?')
      await page.getByRole('button', { name: 'Allow' }).click()
      await page.waitForURL(`${rp.origin}/cb?**`)
      const last = rp.signIns.at(-1)!
      expect(last.claims.sub).toBe(userId)
      expect(last.claims.acr).toBe('mfa')
      await context.close()
      expect(problems).toEqual([])
    }, 120_000)
  })
})
