/**
 * The jobs system as the service over every system's jobs, on each backend:
 * a second system (the shop fixture) declares a queue and a task in its
 * defineSystem and adds its job with addJob(tx) in its own transaction; the
 * job runs, and the REST API, the task list and the metrics show it beside
 * the jobs system's own. A queue of a system this process does not run is
 * listed but left to that system's processes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { placeOrder, type ShopRun, shopSystem } from '../../platform/jobs/fixture-system.js'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { createJobsSystem } from './index.js'
import { FAST_ENV } from './testing.js'

describe.each(backends())('other systems’ jobs in the jobs system (%s)', (backend) => {
  const apps: App[] = []
  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.close()
  })

  async function app(prefix: string, systems: Parameters<typeof buildTestApp>[1]['systems'], start = true) {
    const a = await buildTestApp(backend, {
      systems,
      env: { ...FAST_ENV, DB_SCHEMA_PREFIX: prefix },
      startWorkers: start,
    })
    apps.push(a)
    return a
  }

  const get = async (a: App, url: string) => {
    const res = await a.http.inject({ method: 'GET', url })
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    return res.json()
  }

  it('runs a second system’s job and shows it in the REST API, the task list and the metrics', async () => {
    const runs: ShopRun[] = []
    const a = await app(`t${uniqueId()}_`, [createJobsSystem(), shopSystem({ name: 'shop', runs })])
    const shop = a.systems.find((s) => s.definition.name === 'shop')!.context

    const id = await placeOrder(shop, { id: 7, queue: 'shop.mail', task: 'shop.send-receipt' })
    await expect(
      placeOrder(shop, { id: 8, queue: 'shop.mail', task: 'shop.send-receipt', fail: true }),
    ).rejects.toThrow(/refused/)
    // The jobs system's own job runs in the same worker pool.
    const own = await a.http.inject({
      method: 'POST',
      url: '/jobs/queues/default/jobs',
      payload: { task: 'noop' },
    })
    expect(own.statusCode).toBe(201)

    await waitFor('both jobs completed', async () => {
      const page = await get(a, '/jobs/jobs?state=completed')
      return page.jobs.length === 2
    })
    expect(runs).toEqual([{ label: 'shop', order: 7, jobId: id }])
    const page = await get(a, '/jobs/jobs?queue=shop.mail')
    // Only the committed order's job: the rolled-back one never existed.
    expect(page.jobs.map((j: { id: string; task: string; state: string; payload: unknown }) => j)).toEqual([
      expect.objectContaining({ id, task: 'shop.send-receipt', state: 'completed', payload: { order: 7 } }),
    ])

    const { queues } = await get(a, '/jobs/queues')
    const byName = Object.fromEntries(queues.map((q: { name: string }) => [q.name, q]))
    expect(byName['shop.mail']).toMatchObject({ system: 'shop', concurrency: 2, maxAttempts: 3 })
    expect(byName['shop.mail'].counts.completed).toBe(1)
    expect(byName.default).toMatchObject({ system: null })
    const { tasks } = await get(a, '/jobs/tasks')
    expect(tasks.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['noop', 'http', 'shop.send-receipt']),
    )
    const metrics = await a.http.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/^jobs_completed_total\{queue="shop\.mail"\} 1$/m)
    expect(metrics.body).toMatch(/^jobs_completed_total\{queue="default"\} 1$/m)
  })

  it('lists the jobs of a system this process does not run, and leaves them to that system', async () => {
    const prefix = `t${uniqueId()}_`
    const runs: ShopRun[] = []
    // The shop's own process, its workers not started: its job waits for it.
    const shopApp = await app(prefix, [shopSystem({ name: 'shop', runs })], false)
    const shopJob = await placeOrder(shopApp.systems[0]!.context, {
      id: 1,
      queue: 'shop.mail',
      task: 'shop.send-receipt',
    })
    const jobsApp = await app(prefix, [createJobsSystem()])
    const own = (
      await jobsApp.http.inject({
        method: 'POST',
        url: '/jobs/queues/default/jobs',
        payload: { task: 'noop' },
      })
    ).json()
    await waitFor('the jobs system’s job completed', async () => {
      return (await get(jobsApp, `/jobs/jobs/${own.id}`)).state === 'completed'
    })
    const shopView = await get(jobsApp, `/jobs/jobs/${shopJob}`)
    expect(shopView).toMatchObject({ queue: 'shop.mail', state: 'waiting', attemptsMade: 0 })
    expect(runs).toEqual([])

    await shopApp.start({ listen: false })
    await waitFor('the shop’s process ran its job', async () => {
      return (await get(jobsApp, `/jobs/jobs/${shopJob}`)).state === 'completed'
    })
    expect(runs).toEqual([{ label: 'shop', order: 1, jobId: shopJob }])
  })
})
