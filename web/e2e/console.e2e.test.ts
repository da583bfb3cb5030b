/// <reference types="vite/client" />
/**
 * The console end to end, in headless Chromium: build it if stale, start
 * the real server (`src/main.ts`, every registered system, embedded
 * defaults), and check what a person sees: every system listed and healthy
 * with live figures, each system's page working (one feature each, from the
 * system's `page.e2e.ts`), light and dark mode, a phone-width screen without
 * sideways scrolling, every control reachable by keyboard with a visible
 * focus, and an error banner (never a blank page) once the server is gone.
 *
 * Screenshots of every page land in test-artifacts/console/.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runToExit, type ServerProcess, startServer } from '../../src/platform/testing/process.js'
import { browserRequired, findChromium, HOW_TO_INSTALL, launchChromium } from './browser.js'
import { horizontalOverflow, keyboardGaps, offscreenControls } from './page-checks.js'
import type { SystemE2e } from './types.js'

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console')

/** Each system's `page.e2e.ts`, keyed by the system's folder name. */
const systemE2e: Record<string, SystemE2e> = Object.fromEntries(
  Object.entries(import.meta.glob<SystemE2e>('../src/systems/*/page.e2e.ts', { eager: true })).map(
    ([file, mod]) => [file.split('/').at(-2)!, mod],
  ),
)

const chromiumPath = findChromium()
const skip = !chromiumPath && !browserRequired()
if (skip) console.warn(`console e2e: skipped (Chromium not found; ${HOW_TO_INSTALL})`)

describe.skipIf(skip)('console in Chromium', () => {
  let server: ServerProcess | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let page: Page
  let systems: string[] = []
  /** Errors the page reported (uncaught exceptions, CSP refusals, React errors). */
  const pageErrors: string[] = []

  beforeAll(async () => {
    if (!chromiumPath)
      throw new Error(
        `Chromium is required under CI=true or TEST_SERVICES=1 but is not installed; ${HOW_TO_INSTALL}`,
      )
    mkdirSync(ARTIFACTS, { recursive: true })
    const build = await runToExit('scripts/build-web.ts', {}, [], 180_000)
    if (build.code !== 0) throw new Error(`the console build failed:\n${build.stdout}\n${build.stderr}`)
    const env = Object.assign({}, ...Object.values(systemE2e).map((s) => s.serverEnv ?? {}))
    ;[server, browser] = await Promise.all([
      startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 }),
      launchChromium(chromiumPath),
    ])
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { tags: { name: string }[] }
    systems = doc.tags.map((t) => t.name).filter((n) => n !== 'platform')
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' })
    page = await context.newPage()
    page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`))
    page.on('console', (msg) => {
      // A 4xx the page asked for on purpose (bad input) is logged by Chromium as a failed load: not a defect.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
        pageErrors.push(msg.text())
    })
  }, 420_000)

  afterAll(async () => {
    await browser?.close()
    server?.kill('SIGKILL')
    await server?.exited
  })

  const shot = (name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true })

  it('lists every running system as healthy, with live figures and links', async () => {
    expect(systems.length).toBeGreaterThan(0)
    await page.goto(`${server!.url}/`)
    for (const name of systems) {
      const card = page.locator(`article[data-system="${name}"]`)
      await card.locator('[data-health="ok"]').waitFor({ timeout: 15_000 })
      expect(await card.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe(
        `/docs#/${encodeURIComponent(name)}`,
      )
    }
    // Live figures: after two polls the throughput chart has points and every card a request rate.
    await page.getByText('collecting', { exact: false }).waitFor({ state: 'detached', timeout: 15_000 })
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0)
    for (const name of systems)
      expect(await page.locator(`article[data-system="${name}"] dd`).first().textContent()).toMatch(
        /^[\d.,]+\/s$/,
      )
    await shot('home')
    expect(pageErrors).toEqual([])
  }, 60_000)

  it('works in dark mode and on a phone-width screen', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).toBe('rgb(15, 17, 21)')
    await shot('home-dark')
    await page.setViewportSize({ width: 375, height: 740 })
    await page.waitForTimeout(300)
    expect(await horizontalOverflow(page)).toBe(0)
    await shot('home-phone-dark')
    // The theme select overrides the system's preference, and the choice survives a reload.
    await page.getByLabel('Theme').selectOption('light')
    await page.reload()
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
    await page.getByLabel('Theme').selectOption('system')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 1280, height: 800 })
    expect(pageErrors).toEqual([])
  }, 60_000)

  it('reaches every control of the home page by keyboard, with a visible focus', async () => {
    await page.goto(`${server!.url}/`)
    await page.locator('[data-health="ok"]').first().waitFor()
    expect(await keyboardGaps(page)).toEqual({ unreached: [], noOutline: [] })
  }, 60_000)

  it("opens each system's page, uses one feature of it, and keeps it usable by keyboard and on a phone", async () => {
    for (const name of systems) {
      await page.goto(`${server!.url}/`)
      await page.getByRole('link', { name: `Open ${name}` }).click()
      await page.getByRole('heading', { level: 1, name }).waitFor()
      expect(new URL(page.url()).pathname).toBe(`/console/${encodeURIComponent(name)}`)
      await page.locator('[data-health="ok"]').first().waitFor({ timeout: 15_000 })
      const own = systemE2e[name]
      if (own) await own.exercise(page, { baseUrl: server!.url })
      // The system's own throughput and latency charts have live figures.
      await page.getByText(/^now: requests [\d.,]+, 5xx/).waitFor({ timeout: 15_000 })
      await shot(`system-${name}`)
      expect(await keyboardGaps(page), name).toEqual({ unreached: [], noOutline: [] })
      // A small phone (360 px): nothing scrolls the page sideways, and every button is on screen
      // (a table may scroll inside its box, but not hide its buttons there).
      await page.setViewportSize({ width: 360, height: 740 })
      await page.waitForTimeout(300)
      expect(await horizontalOverflow(page), name).toBe(0)
      expect(await offscreenControls(page), name).toEqual([])
      await shot(`system-${name}-phone`)
      await page.setViewportSize({ width: 1280, height: 800 })
      // A reload of a client route is served the console too (bookmarks work).
      await page.reload()
      await page.getByRole('heading', { level: 1, name }).waitFor()
    }
    expect(pageErrors).toEqual([])
  }, 600_000)

  it('shows an error banner, not a blank page, when the server goes away', async () => {
    await page.goto(`${server!.url}/`)
    await page.locator('[data-health="ok"]').first().waitFor()
    server!.kill('SIGKILL')
    await server!.exited
    const banner = page.getByRole('alert').filter({ hasText: 'The server is not answering.' })
    await banner.waitFor({ timeout: 15_000 })
    expect(await page.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(true)
    // What was known stays on screen, marked unknown rather than healthy.
    expect(await page.locator('[data-health="unknown"]').count()).toBe(systems.length)
    await shot('server-down')
  }, 60_000)
})
