/**
 * The rate limiter's page in the browser: fire eight requests at the demo
 * configuration's sliding-window-log rule (5 per minute) and see exactly five
 * admitted, then the rule's counters in the live table.
 */
import type { Page } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

export async function exercise(page: Page, _ctx: SystemE2eContext): Promise<void> {
  await page.getByRole('button', { name: 'sliding window log' }).click()
  await page.getByLabel('Requests', { exact: true }).fill('8')
  await page.getByLabel('Gap between requests (ms)', { exact: true }).fill('0')
  await page.getByRole('button', { name: 'Fire' }).click()
  const summary = page.getByTestId('playground-summary')
  await summary
    .getByText('8 refused')
    .or(summary.getByText(/5 admitted, 3 refused/))
    .waitFor()
  const text = (await summary.textContent()) ?? ''
  check(text.includes('5 admitted, 3 refused'), `the playground says "${text}"`)
  check((await page.locator('.shot-ok').count()) === 5, 'five squares are not green')
  // The live table picks the rule up at its next poll (every 2 s).
  await page.locator('tr[data-rule="demo.algorithm_sliding_window_log"]').waitFor({ timeout: 10_000 })
}
