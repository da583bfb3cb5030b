/**
 * The account page in Chromium: a person signs in to it through the provider, turns the
 * authenticator app on (recovery codes shown once), finds the page read-only until they sign in
 * again with the second factor (a forged POST is refused too), makes new recovery codes (the old
 * ones stop working), removes the app; sees the browsers signed in to the account, signs one out
 * (that browser is signed out) and then all of them.
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
import { watchedPage } from './testing.browser.js'
import { type AuthTestApp, adminApi, authApp } from './testing.js'
import { stepAt, totp } from './totp.js'

const chromiumPath = findChromium()
const skip = !chromiumPath && !browserRequired()
if (skip) console.warn(`auth account page test: skipped (Chromium not found; ${HOW_TO_INSTALL})`)

const PASSWORD = 'an account passphrase 42'
const EMAIL = 'ada@example.com'

describe.skipIf(skip)('account page in Chromium', () => {
  describe.each(backends())('%s', (backend) => {
    let t: AuthTestApp
    let browser: Browser | undefined
    let api: Awaited<ReturnType<typeof adminApi>>
    let userId: string
    let context: BrowserContext
    let page: Page
    let secret: string
    let firstCodes: string[]
    const problems: string[] = []
    const main = (p: Page) => p.textContent('main')
    const codesOn = async (p: Page) => p.locator('ol.codes li code').allTextContents()

    beforeAll(async () => {
      if (!chromiumPath)
        throw new Error(`Chromium is required under CI=true or TEST_SERVICES=1; ${HOW_TO_INSTALL}`)
      ;[t, browser] = await Promise.all([authApp(backend), launchChromium(chromiumPath)])
      api = await adminApi(t)
      const created = await api('POST', '/users', { email: EMAIL, password: PASSWORD, emailVerified: true })
      expect(created.status).toBe(201)
      userId = created.body.id
      context = await browser!.newContext()
      page = await watchedPage(context, problems)
    }, 240_000)

    afterAll(async () => {
      await browser?.close()
      await t?.close()
    })

    /** From the account page's sign-in link through the login form (and a second factor, if `code`). */
    async function signInToAccount(p: Page, code?: () => string) {
      await p.goto(`${t.issuer}/account`)
      await p.getByRole('link', { name: 'Sign in' }).click()
      await p.getByLabel('Email').fill(EMAIL)
      await p.getByLabel('Password').fill(PASSWORD)
      await p.getByRole('button', { name: 'Sign in', exact: true }).click()
      if (code) {
        await p.getByLabel('Code').fill(code())
        await p.getByRole('button', { name: 'Verify' }).click()
      }
      await p.waitForURL(`${t.issuer}/account`)
    }

    it('turns the authenticator app on; the page is read-only until a sign-in with it', async () => {
      await signInToAccount(page)
      expect(await main(page)).toContain('Authenticator app: off')
      secret = (await page.locator('#secret').textContent())!.replace(/\s/g, '')
      await page
        .getByLabel('Code from the app')
        .fill('000000' === totp(secret, Date.now()) ? '111111' : '000000')
      await page.getByRole('button', { name: 'Turn on' }).click()
      await expect(page.getByRole('alert').textContent()).resolves.toContain('not right')
      await page.getByLabel('Code from the app').fill(totp(secret, Date.now()))
      await page.getByRole('button', { name: 'Turn on' }).click()
      expect(await main(page)).toContain('The authenticator app is on.')
      firstCodes = await codesOn(page)
      expect(firstCodes).toHaveLength(10)
      expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(true)

      // This session signed in with a password only: the factors cannot change from it now.
      await page.goto(`${t.issuer}/account`)
      expect(await main(page)).toContain('sign in again with your second factor')
      expect(await page.getByRole('button', { name: 'Remove the authenticator app' }).count()).toBe(0)
      const csrf = await page.locator('input[name=csrf]').first().inputValue()
      const forged = await page.request.post(`${t.issuer}/account/totp/delete`, { form: { csrf } })
      expect(forged.status()).toBe(403)
      expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(true)

      // Sign in again with the app's (next) code: the factors can change.
      await page.getByRole('link', { name: 'sign in again with your second factor' }).click()
      await page.getByLabel('Email').fill(EMAIL)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await page.getByLabel('Code').fill(totp(secret, (stepAt(Date.now()) + 1) * 30_000))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.waitForURL(`${t.issuer}/account`)
      expect(await main(page)).not.toContain('sign in again')
      expect(await page.getByRole('button', { name: 'Remove the authenticator app' }).count()).toBe(1)
      expect(problems).toEqual([])
    }, 120_000)

    it('makes new recovery codes (the old ones stop working) and removes the app', async () => {
      await page.getByRole('button', { name: 'Make new recovery codes' }).click()
      const renewed = await codesOn(page)
      expect(renewed).toHaveLength(10)
      expect(renewed.filter((c) => firstCodes.includes(c))).toEqual([])
      expect(await page.locator('#recovery-left').textContent()).toBe('10')

      // An old code at a sign-in is refused; a new one is accepted.
      const other = await browser!.newContext()
      const p2 = await watchedPage(other, problems)
      await p2.goto(`${t.issuer}/account`)
      await p2.getByRole('link', { name: 'Sign in' }).click()
      await p2.getByLabel('Email').fill(EMAIL)
      await p2.getByLabel('Password').fill(PASSWORD)
      await p2.getByRole('button', { name: 'Sign in', exact: true }).click()
      await p2.getByLabel('Code').fill(firstCodes[0]!)
      await p2.getByRole('button', { name: 'Verify' }).click()
      await expect(p2.getByRole('alert').textContent()).resolves.toContain('not right')
      await p2.getByLabel('Code').fill(renewed[0]!)
      await p2.getByRole('button', { name: 'Verify' }).click()
      await p2.waitForURL(`${t.issuer}/account`)
      await other.close()

      await page.goto(`${t.issuer}/account`)
      expect(await page.locator('#recovery-left').textContent()).toBe('9')
      await page.getByRole('button', { name: 'Remove the authenticator app' }).click()
      expect(await main(page)).toContain('The authenticator app is removed.')
      expect((await api('GET', `/users/${userId}`)).body.mfaEnrolled).toBe(false)
      expect(await page.locator('#recovery-left').textContent()).toBe('0')
    }, 120_000)

    it('lists the browsers signed in, signs one out, then all of them', async () => {
      // Start from nothing (an admin ends every session), then two browsers sign in.
      expect((await api('DELETE', `/users/${userId}/sessions`)).status).toBeLessThan(300)
      await signInToAccount(page).catch(async (err) => {
        throw new Error(`${err}: at ${page.url()}: ${await main(page)}`)
      })
      const other = await browser!.newContext()
      const p2 = await watchedPage(other, problems)
      await signInToAccount(p2)
      await page.goto(`${t.issuer}/account`)
      const rows = page.locator('#sessions li')
      expect(await rows.count()).toBe(2)
      expect(await page.locator('#sessions li', { hasText: 'this browser' }).count()).toBe(1)

      await page
        .locator('#sessions li', { hasNotText: 'this browser' })
        .getByRole('button', { name: 'Sign out' })
        .click()
      expect(await main(page)).toContain('That browser is signed out.')
      expect(await rows.count()).toBe(1)
      await p2.goto(`${t.issuer}/account`)
      expect(await main(p2)).toContain('Sign in to manage')
      await page.goto(`${t.issuer}/account`)
      expect(await main(page)).toContain(`Signed in as ${EMAIL}`)

      await signInToAccount(p2)
      await page.goto(`${t.issuer}/account`)
      expect(await rows.count()).toBe(2)
      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await page.waitForURL(`${t.issuer}/account`)
      expect(await main(page)).toContain('Sign in to manage')
      await p2.goto(`${t.issuer}/account`)
      expect(await main(p2)).toContain('Sign in to manage')
      expect((await api('GET', `/users/${userId}/sessions`)).body.items).toEqual([])
      const events = (
        (await api('GET', `/audit?user=${userId}&limit=100`)).body.items as { event: string }[]
      ).map((e) => e.event)
      expect(events).toEqual(
        expect.arrayContaining(['session.revoked', 'mfa.totp_removed', 'mfa.recovery_codes_renewed']),
      )
      await other.close()
      expect(problems).toEqual([])
    }, 120_000)
  })
})
