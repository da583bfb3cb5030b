/**
 * Jobs added through the REST API to a queue another system owns (queues.system, sql/0009): only
 * that system's processes fetch the queue, so the job must name one of its tasks (recorded at its
 * boot, sql/0012), whether or not the process taking the request runs it. A job for any other task
 * is a 422 problem naming the owner and its tasks, not a job that fails every attempt and dies.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type ShopRun, shopSystem } from '../../platform/jobs/fixture-system.js'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { createJobsSystem } from './index.js'
import { FAST_ENV } from './testing.js'

describe.each(backends())(
  'jobs added to a queue another system owns (%s)',
  { timeout: 180_000 },
  (backend) => {
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

    const post = (a: App, url: string, payload: Record<string, unknown>) =>
      a.http.inject({ method: 'POST', url, payload })

    function expectRefused(res: Awaited<ReturnType<typeof post>>, name: string) {
      expect(res.statusCode, res.body).toBe(422)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      const body = res.json()
      expect(body.code).toBe('JOBS_TASK_NOT_OF_QUEUE_OWNER')
      expect(body.invalidParams).toEqual([{ name, reason: expect.stringContaining('system shop') }])
      expect(body.detail).toContain('shop.send-receipt')
    }

    it('refuses another system’s task in the same process, and runs the owner’s', async () => {
      const runs: ShopRun[] = []
      const a = await app(`t${uniqueId()}_`, [createJobsSystem(), shopSystem({ name: 'shop', runs })])

      // `noop` runs here (the jobs system's), but it is not the shop's: refused.
      expectRefused(await post(a, '/jobs/queues/shop.mail/jobs', { task: 'noop' }), 'task')
      expectRefused(
        await post(a, '/jobs/queues/shop.mail/jobs/batch', {
          jobs: [{ task: 'shop.send-receipt', payload: { order: 1 } }, { task: 'noop' }],
        }),
        'jobs[1].task',
      )
      const schedule = await a.http.inject({
        method: 'PUT',
        url: '/jobs/schedules/shop-noop',
        payload: { queue: 'shop.mail', task: 'noop', cron: '@hourly' },
      })
      expectRefused(schedule, 'task')

      const ok = await post(a, '/jobs/queues/shop.mail/jobs', {
        task: 'shop.send-receipt',
        payload: { order: 2 },
      })
      expect(ok.statusCode, ok.body).toBe(201)
      await waitFor('the shop ran the job added through the API', () => runs.some((r) => r.order === 2))
      // Nothing of the refused batch was written.
      const page = (await a.http.inject({ method: 'GET', url: '/jobs/jobs?queue=shop.mail' })).json()
      expect(page.jobs.map((j: { payload: unknown }) => j.payload)).toEqual([{ order: 2 }])
    })

    it('checks against the owner when this process does not run it', async () => {
      const prefix = `t${uniqueId()}_`
      const runs: ShopRun[] = []
      // The shop's own process records its tasks at boot; its workers wait until started.
      const shopApp = await app(prefix, [shopSystem({ name: 'shop', runs })], false)
      const jobsApp = await app(prefix, [createJobsSystem()])

      expectRefused(await post(jobsApp, '/jobs/queues/shop.mail/jobs', { task: 'noop' }), 'task')
      // The shop's task is accepted here though this process has no handler for it.
      const ok = await post(jobsApp, '/jobs/queues/shop.mail/jobs', {
        task: 'shop.send-receipt',
        payload: { order: 3 },
      })
      expect(ok.statusCode, ok.body).toBe(201)
      // The jobs system's own queues keep its rule: a task no process here runs is unknown.
      const own = await post(jobsApp, '/jobs/queues/default/jobs', { task: 'shop.send-receipt' })
      expect(own.statusCode).toBe(422)
      expect(own.json().code).toBe('JOBS_UNKNOWN_TASK')

      await shopApp.start({ listen: false })
      await waitFor('the shop’s process ran the job', () => runs.some((r) => r.order === 3))
      const job = (await jobsApp.http.inject({ method: 'GET', url: `/jobs/jobs/${ok.json().id}` })).json()
      expect(job).toMatchObject({ queue: 'shop.mail', state: 'completed' })
    })
  },
)
