/**
 * The inventory page in the browser: create a demo show, watch another buyer's hold (made over
 * the API, outside the page) appear on the map through the live stream without a reload, hold
 * two seats, see the countdown, confirm them into an order; then create demo stock and read its
 * levels per location.
 */
import type { Page } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

const seat = (page: Page, id: string) => page.locator(`button[data-seat="${id}"]`)

export async function exercise(page: Page, { baseUrl }: SystemE2eContext): Promise<void> {
  await page.getByRole('button', { name: 'Create a demo show' }).click()
  const heading = page.getByRole('heading', { level: 2, name: /^Show \d+$/ })
  await heading.waitFor({ timeout: 15_000 })
  const show = ((await heading.textContent()) ?? '').replace('Show ', '')
  await page.getByTestId('stream-state').getByText('live').waitFor({ timeout: 15_000 })

  // Another buyer holds B-6 through the API: the map shows it held, live.
  const res = await fetch(`${baseUrl}/inventory/shows/${show}/holds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seats: ['Stalls-B-6'] }),
  })
  check(res.status === 201, `another buyer's hold answered ${res.status}`)
  await page.locator('button[data-seat="Stalls-B-6"][data-look="held"]').waitFor({ timeout: 15_000 })
  check(await seat(page, 'Stalls-B-6').isDisabled(), "another buyer's seat can still be picked")

  // Our own hold: pick two seats, hold them, see the countdown, confirm.
  await seat(page, 'Stalls-C-5').click()
  await seat(page, 'Stalls-C-6').click()
  await page.getByRole('button', { name: 'Hold 2 selected' }).click()
  await page.locator('button[data-seat="Stalls-C-5"][data-look="mine"]').waitFor()
  const hold = page.locator('li.hold[data-state="active"]').first()
  const countdown = (await hold.getByTestId('countdown').textContent()) ?? ''
  check(/^expires in \d+:\d\d$/.test(countdown), `the countdown reads "${countdown}"`)
  await hold.getByRole('button', { name: 'Confirm' }).click()
  await page
    .locator('li.hold[data-state="confirmed"]')
    .getByText(/order o_/)
    .waitFor()
  await page.locator('button[data-seat="Stalls-C-6"][data-look="mine-sold"]').waitFor()
  // The server agrees: both seats are sold.
  const map = (await (await fetch(`${baseUrl}/inventory/shows/${show}/seats`)).json()) as {
    seats: { id: string; state: string }[]
  }
  const sold = map.seats.filter((s) => s.state === 'sold').map((s) => s.id)
  check(sold.join() === 'Stalls-C-5,Stalls-C-6', `the server has sold ${sold.join() || 'nothing'}`)

  // Stock: a demo product received at two locations, its levels per location.
  await page.getByRole('button', { name: 'Create demo stock' }).click()
  await page.locator('tr[data-location="east"]').waitFor({ timeout: 15_000 })
  const east = await page.locator('tr[data-location="east"] td').allTextContents()
  check(east.join('|') === 'east|40|0|40', `the east level reads ${east.join('|')}`)
}
