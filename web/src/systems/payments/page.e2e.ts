/**
 * The payments page in the browser: paste the secret key the server was started with, pay with
 * a card that succeeds (its events, its ledger transfer, the balance), one that is declined, and a
 * 3-D Secure card whose next-action page opens in a new tab and completes the payment; then add a
 * webhook endpoint the server may not reach and watch a delivery's failed attempts.
 */
import type { Page } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

const KEY = 'sk_test_console0e2e0123456789abcdefABCDEF'

export const serverEnv = { PAYMENTS_INITIAL_SECRET_KEY: KEY }

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

async function pay(page: Page, card: string): Promise<string> {
  await page.getByLabel('Test card').selectOption(card)
  const before =
    (await page
      .getByTestId('pay-outcome')
      .textContent()
      .catch(() => null)) ?? ''
  await page.getByRole('button', { name: 'Create and confirm' }).click()
  await page.waitForFunction(
    (prev) => {
      const t = document.querySelector('[data-testid="pay-outcome"]')?.textContent ?? ''
      return t !== '' && t !== prev
    },
    before,
    { timeout: 20_000 },
  )
  return (await page.getByTestId('pay-outcome').textContent()) ?? ''
}

export async function exercise(page: Page, _ctx: SystemE2eContext): Promise<void> {
  await page.getByLabel('Secret key').fill(KEY)
  await page.getByRole('button', { name: 'Save Secret key' }).click()

  // A card that succeeds: its events, the ledger transfer network -> balance, the balance.
  const ok = await pay(page, 'pm_card_visa')
  check(/^pi_\w+: 20\.00 USD succeeded\.$/.test(ok), `the Visa payment says "${ok}"`)
  const detail = page.getByTestId('pi-detail')
  await detail.locator('li[data-event="payment_intent.succeeded"]').waitFor({ timeout: 15_000 })
  await detail.locator('li[data-transfer$=":charge"]').waitFor({ timeout: 15_000 })
  // The balance has the captured amount (at least it: the server may have had payments before).
  await page
    .locator('[data-testid="balance"] dd[data-currency="usd"]', {
      hasText: /^[1-9][\d.]* USD$|^0\.[1-9]\d USD$/,
    })
    .waitFor({ timeout: 15_000 })

  const declined = await pay(page, 'pm_card_chargeDeclined')
  check(
    declined.includes('declined') && declined.includes('generic_decline'),
    `the decline says "${declined}"`,
  )

  // 3-D Secure: the next-action page opens in a new tab; completing it succeeds the payment here.
  const waiting = await pay(page, 'pm_card_threeDSecure2Required')
  const id = waiting.split(':')[0]!
  check(waiting.endsWith('waits for 3-D Secure.'), `the 3-D Secure payment says "${waiting}"`)
  const [challenge] = await Promise.all([
    page.context().waitForEvent('page'),
    page.getByRole('link', { name: 'Open the 3-D Secure page' }).click(),
  ])
  await challenge.getByRole('button', { name: 'Complete authentication' }).click()
  await challenge.waitForURL(/redirect_status=succeeded/, { timeout: 15_000 })
  await challenge.close()
  await page.locator(`tr[data-pi="${id}"][data-status="succeeded"]`).waitFor({ timeout: 15_000 })

  // Webhooks: an endpoint on a private address is refused at each attempt; the attempts show it.
  await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook')
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  await page.getByText(/Added we_\w+/).waitFor()
  await pay(page, 'pm_card_mastercard')
  const delivery = page.locator('tr[data-delivery]').first()
  await delivery.waitFor({ timeout: 30_000 })
  await page.waitForFunction(
    () => {
      const b = document.querySelector('tr[data-delivery] td.num button')
      return b !== null && !b.textContent?.startsWith('0 of')
    },
    undefined,
    { timeout: 30_000 },
  )
  await delivery.locator('td.num button').click()
  await page
    .getByRole('list', { name: /^Attempts of delivery/ })
    .getByText(/private, loopback/)
    .first()
    .waitFor({ timeout: 15_000 })
}
