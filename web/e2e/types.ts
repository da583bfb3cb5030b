/**
 * What a system's folder of the console gives the end-to-end test: an
 * optional `page.e2e.ts` beside its page, found by the test on its own (no
 * registry line), that uses one feature of the page in a real browser.
 */
import type { Page } from 'playwright-core'

export interface SystemE2eContext {
  /** Base URL of the server under test, e.g. `http://127.0.0.1:40123`. */
  readonly baseUrl: string
}

export interface SystemE2e {
  /** Environment the server under test needs for this page (an API key to paste, say). */
  readonly serverEnv?: Record<string, string>
  /** Use one feature of the system's page, already open in `page`, and assert what it shows. */
  exercise(page: Page, ctx: SystemE2eContext): Promise<void>
}
