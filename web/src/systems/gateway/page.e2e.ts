/**
 * The gateway's page in the browser: create the demo (a service forwarding to this server's
 * /healthz, a route /demo with correlation-id and 20 requests a minute), see it in the tables,
 * send 25 requests through the proxy listener from outside the page, and watch the route's live
 * figures count them (20 answered, 5 refused by the rate limit).
 */
import type { Page } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

export async function exercise(page: Page, { baseUrl }: SystemE2eContext): Promise<void> {
  await page.getByRole('button', { name: 'Create the demo' }).click()
  await page.getByText('Created service console-demo').waitFor({ timeout: 15_000 })
  await page.locator('tr[data-route="demo"]').waitFor({ timeout: 15_000 })
  const plugins = await page.locator('tr[data-plugin]').allTextContents()
  check(
    plugins.some((p) => p.includes('rate-limiting') && p.includes('minute: 20')),
    `plugins read ${plugins.join(' | ')}`,
  )

  const info = (await (await fetch(`${baseUrl}/gateway/admin`)).json()) as {
    configuration: { proxy_listeners: { port: number }[] }
  }
  const proxy = `http://127.0.0.1:${info.configuration.proxy_listeners[0]!.port}`
  const statuses: number[] = []
  for (let i = 0; i < 25; i++) {
    const res = await fetch(`${proxy}/demo`)
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  const ok = statuses.filter((s) => s === 200).length
  check(
    ok === 20 && statuses.filter((s) => s === 429).length === 5,
    `the proxy answered ${statuses.join(',')}`,
  )

  // The route's row counts them within a scrape or two; its service and target are named.
  const row = page.locator('tr[data-route-rate="demo"]')
  await row.locator('td', { hasText: /^25$/ }).waitFor({ timeout: 20_000 })
  check(
    ((await row.locator('td').nth(1).textContent()) ?? '') === 'console-demo',
    'the route is not tied to console-demo',
  )
  await page.locator('tr[data-target] .health-healthy').first().waitFor({ timeout: 15_000 })
}
