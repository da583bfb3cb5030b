/**
 * A real producer through the Bus: the job engine's `jobs.job.dead` lifecycle event (published
 * through the job tables' outbox, as for the jobs system's own jobs) triggers the `job-dead` workflow for the `ops` topic
 * (NOTIFICATIONS_BUS_TRIGGERS=jobs.job.dead=job-dead@ops). A job that fails its only attempt
 * puts one message, naming the job and its error, in the on-call subscriber's inbox; a job that
 * completes puts none; the event's message id is the trigger's Idempotency-Key, so a redelivery is the
 * same trigger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineSystem } from '../../platform/system.js'
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import notifications from './index.js'

/**
 * Another system, as the jobs engine sees it: it owns a queue whose task always fails. Its dead
 * job's `jobs.job.dead` event is written by the engine's outbox (platform/jobs, the same for the
 * jobs system's REST-made jobs and every system's), relayed to the Bus, and consumed by us.
 */
const worker = defineSystem({
  name: 'ops-fixture',
  description: 'a system whose jobs fail, for this test',
  jobs: { queues: { 'ops-fixture.work': { concurrency: 1 } } },
  async create(ctx) {
    return {
      routes(app) {
        app.post('/enqueue', async (req) => {
          const { task, message } = req.body as { task: string; message: string }
          return ctx.jobs.addJob(ctx.db, 'ops-fixture.work', { task, payload: { message }, maxAttempts: 1 })
        })
      },
      tasks: {
        'ops-fixture.fail': {
          handler: (p) => {
            throw new Error((p as { message: string }).message)
          },
        },
        'ops-fixture.noop': { handler: () => ({ ok: true }) },
      },
    }
  },
})

import { API_TOKEN, auth } from './testing.js'

describe.each(backends())('notifications triggered through the Bus (%s)', (backend) => {
  let app: App
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers: auth,
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined }
  }
  const inbox = async () =>
    (await call('GET', '/notifications/v1/subscribers/oncall/inbox')).body.messages as {
      body: string
      transactionId: string
    }[]

  beforeAll(async () => {
    app = await buildTestApp(backend, {
      systems: [worker, notifications],
      env: {
        NOTIFICATIONS_API_TOKEN: API_TOKEN,
        NOTIFICATIONS_BUS_TRIGGERS: 'jobs.job.dead=job-dead@ops',
        JOBS_POLL_MS: '200',
      },
    })
    await call('PUT', '/notifications/v1/subscribers/oncall', { email: 'oncall@example.com' })
    await call('PUT', '/notifications/v1/topics/ops', {})
    await call('POST', '/notifications/v1/topics/ops/subscribers', { subscribers: ['oncall'] })
    const w = await call('PUT', '/notifications/v1/workflows/job-dead', {
      critical: true,
      steps: [
        {
          channel: 'in_app',
          subject: 'Job died',
          body: 'job {{payload.id}} ({{payload.task}}) died: {{payload.error}}',
        },
      ],
    })
    expect(w.status).toBe(201)
  }, 120_000)
  afterAll(async () => {
    await app?.close()
  })

  it('puts one message in the on-call inbox for each dead job', async () => {
    const enqueue = async (task: string, message: string) =>
      (
        await app.http.inject({ method: 'POST', url: '/ops-fixture/enqueue', payload: { task, message } })
      ).json()
    const ok = await enqueue('ops-fixture.noop', 'fine')
    const dead = await enqueue('ops-fixture.fail', 'disk full')
    await waitFor('the dead-job message', async () => (await inbox()).length >= 1, 60_000)
    const got = await inbox()
    expect(got.map((m) => m.body)).toEqual([`job ${dead.id} (ops-fixture.fail) died: Error: disk full`])
    const { rows } = await app.db.query<{ source: string; n: number }>(
      `SELECT source, count(*)::int AS n FROM ${app.config.dbSchemaPrefix}notifications.transactions GROUP BY source`,
    )
    expect(rows).toEqual([{ source: 'bus', n: 1 }])
    expect(ok.id).toBeDefined()

    // Its Idempotency-Key is the event's message id: a redelivery of the event is the same trigger.
    const { rows: keys } = await app.db.query<{ key: string }>(
      `SELECT idempotency_key AS key FROM ${app.config.dbSchemaPrefix}notifications.transactions`,
    )
    expect(keys[0]!.key).toMatch(/^bus:jobs\.job\.dead:job-dead:ops:.+/)
  }, 120_000)
})
