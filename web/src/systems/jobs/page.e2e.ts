/**
 * The jobs page in the browser, on a server that requires JOBS_API_TOKEN:
 * paste the token the page asks for, then enqueue a job that completes and one that
 * fails until it is dead (the demo tasks `noop` and `fail`, two attempts),
 * see both reach their states in the live list, open the dead one and see
 * its two failed attempts with their stacks, redrive it and see it run
 * (and fail) twice more. Then 120 more jobs: the list pages back through
 * every job with "Older", newest first, each exactly once, down to the oldest.
 * States are awaited by bounded polling.
 */
import type { Page } from 'playwright-core'
import type { SystemE2eContext } from '../../../e2e/types.js'

const TOKEN = 'console-e2e-jobs-token'

/** The server under test requires this token on every /jobs route. */
export const serverEnv = { JOBS_API_TOKEN: TOKEN }

/** Fail with `message` unless `ok`. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message)
}

/** Ask `probe` every 250 ms until it returns true, for at most `ms`. */
async function until(page: Page, what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await probe()) return
    await page.waitForTimeout(250)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Enqueue with one of the form's examples and return the new job's id. */
async function enqueueExample(page: Page, example: string): Promise<string> {
  await page.getByRole('button', { name: example }).click()
  await page.getByRole('button', { name: 'Enqueue', exact: true }).click()
  const added = page.locator('output', { hasText: /Enqueued job #\d+/ })
  await added.waitFor()
  const id = /#(\d+)/.exec((await added.textContent()) ?? '')?.[1]
  check(Boolean(id), 'no job id after enqueue')
  return id!
}

/** The state the live list shows for job `id`, if it lists it. */
async function listedState(page: Page, id: string): Promise<string | null> {
  const badge = page.locator(`tr[data-job="${id}"] [data-state]`)
  return (await badge.count()) > 0 ? badge.getAttribute('data-state') : null
}

export async function exercise(page: Page, { baseUrl }: SystemE2eContext): Promise<void> {
  // The server refuses the page's first calls (401): it asks for the token, and sends it once saved.
  await page.getByLabel('API token').fill(TOKEN)
  await page.getByRole('button', { name: 'Save token' }).click()
  await page.locator('tr[data-queue="default"]').waitFor({ timeout: 15_000 })

  const ok = await enqueueExample(page, 'noop (completes)')
  const bad = await enqueueExample(page, 'fail (dead after 2 attempts)')
  // Retries back off up to a second: the fail job is dead within a few seconds.
  await until(
    page,
    `job ${ok} completed in the list`,
    async () => (await listedState(page, ok)) === 'completed',
  )
  await until(page, `job ${bad} dead in the list`, async () => (await listedState(page, bad)) === 'dead')
  const dead = page.locator('tr[data-queue="default"] [data-count="dead"]')
  await until(page, 'a dead job counted in the queue', async () => Number(await dead.textContent()) >= 1)

  await page.getByRole('button', { name: `Open job ${bad}` }).click()
  const detail = page.getByTestId('job-detail')
  await detail.getByTestId('attempts-made').filter({ hasText: '2 of 2' }).waitFor()
  const attempts = detail.locator('li.attempt')
  check((await attempts.count()) === 2, `${await attempts.count()} failed attempts shown, not 2`)
  check(
    ((await attempts.first().locator('.attempt-error').textContent()) ?? '').includes('boom'),
    "the attempt's error is not shown",
  )
  await attempts
    .first()
    .getByRole('button', { name: /Show stack/ })
    .click()
  await attempts.first().locator('pre.stack-trace').waitFor()
  check(
    ((await attempts.first().locator('pre.stack-trace').textContent()) ?? '').includes('Error: boom'),
    'the stack is not shown',
  )

  await detail.getByRole('button', { name: 'Redrive job' }).click()
  await detail.getByText(new RegExp(`Job ${bad} redriven`)).waitFor()
  // Redriven with fresh attempts, it fails twice more; its attempts keep the first two.
  await until(page, `job ${bad} dead again after the redrive`, async () => (await attempts.count()) === 4)
  const res = await fetch(`${baseUrl}/jobs/jobs/${bad}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  const job = (await res.json()) as { state: string; attempts: unknown[] }
  check(
    job.state === 'dead' && job.attempts.length === 4,
    `the server says ${job.state}, ${job.attempts.length} attempts`,
  )

  await pagesThroughEveryJob(page, baseUrl)
}

/** The ids the list shows, top to bottom. */
async function listedIds(page: Page): Promise<string[]> {
  return page.locator('tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job') ?? ''))
}

/** Enqueue 120 jobs (ids past 100, where text order used to break paging), then page back to the oldest. */
async function pagesThroughEveryJob(page: Page, baseUrl: string): Promise<void> {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
  const body = JSON.stringify({
    jobs: Array.from({ length: 120 }, () => ({
      task: 'noop',
      runAt: new Date(Date.now() + 3_600_000).toISOString(),
    })),
  })
  const added = await fetch(`${baseUrl}/jobs/queues/default/jobs/batch`, { method: 'POST', headers, body })
  check(added.status === 201, `batch enqueue answered ${added.status}`)
  const newest = Math.max(
    ...((await added.json()) as { jobs: { id: string }[] }).jobs.map((j) => Number(j.id)),
  )
  await until(
    page,
    `job ${newest} at the top of the list`,
    async () => (await listedIds(page))[0] === String(newest),
  )
  const seen: string[] = []
  const older = page.getByRole('button', { name: 'Older' })
  for (let pageNo = 1; ; pageNo++) {
    await page.getByText(`Page ${pageNo}`, { exact: true }).waitFor()
    await until(page, `page ${pageNo} loaded`, async () => {
      const ids = await listedIds(page)
      return ids.length > 0 && (seen.length === 0 || Number(ids[0]) < Number(seen.at(-1)))
    })
    seen.push(...(await listedIds(page)))
    if (await older.isDisabled()) break
    check(pageNo < 20, 'paging did not end')
    await older.click()
  }
  // Every job the server has (one page of up to 500), in numeric order, newest first.
  const all = await fetch(`${baseUrl}/jobs/jobs?limit=500`, { headers })
  const want = ((await all.json()) as { jobs: { id: string }[] }).jobs
    .map((j) => Number(j.id))
    .sort((a, b) => b - a)
    .map(String)
  check(
    JSON.stringify(seen) === JSON.stringify(want),
    `paged through ${seen.length} jobs (${seen.slice(0, 3).join(', ')} ... ${seen.slice(-3).join(', ')}), not the ${want.length} jobs the server has`,
  )
}
