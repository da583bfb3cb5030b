/**
 * Lifecycle events on the Bus: jobs.job.completed, .failed, .dead,
 * .cancelled and .removed, each with the job's document, published through
 * the outbox by the statement that changed the state, so an event is
 * published if and only if that change committed: changes rolled back
 * publish nothing. JOBS_EVENTS limits which are written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BusMessage } from '../../platform/bus/port.js'
import { removeJob } from '../../platform/jobs/keyed-jobs.js'
import { WorkerStore } from '../../platform/jobs/worker.store.js'
import { backends } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, type Json, jobsApp } from './testing.js'

describe.each(backends())('jobs lifecycle events (%s)', (backend) => {
  let c: JobsClient
  const got: BusMessage<Json>[] = []
  const of = (id: string) => got.filter((m) => m.data.id === id).map((m) => m.subject)

  beforeAll(async () => {
    c = await jobsApp(backend)
    await c.app.bus.subscribe<Json>('jobs.job.>', async (m) => {
      got.push(m)
    })
  })
  afterAll(() => c.close())

  const enqueue = async (body: unknown) => (await c.call('POST', '/jobs/queues/default/jobs', body)).json()

  it('publishes completed, failed and dead with the job’s document', async () => {
    const ok = await enqueue({ task: 'noop', key: 'evt-ok' })
    const bad = await enqueue({ task: 'fail', payload: { message: 'boom' }, maxAttempts: 2 })
    await waitFor('events', () => of(ok.id).length === 1 && of(bad.id).length === 2, 15_000)
    expect(of(ok.id)).toEqual(['jobs.job.completed'])
    expect(of(bad.id)).toEqual(['jobs.job.failed', 'jobs.job.dead'])
    const done = got.find((m) => m.data.id === ok.id)!
    expect(done.data).toMatchObject({
      id: ok.id,
      queue: 'default',
      task: 'noop',
      state: 'completed',
      attempt: 1,
      key: 'evt-ok',
      error: null,
    })
    expect(done.msgId).toBeTruthy()
    const dead = got.find((m) => m.data.id === bad.id && m.subject === 'jobs.job.dead')!
    expect(dead.data).toMatchObject({ state: 'dead', attempt: 2, maxAttempts: 2, error: 'Error: boom' })
  })

  it('publishes cancelled and removed; changes rolled back publish nothing', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString()
    const a = await enqueue({ task: 'noop', runAt: later })
    const b = await enqueue({ task: 'noop', runAt: later, key: 'evt-remove' })
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    const schema = db.schema
    for (const change of [
      (tx: Parameters<Parameters<typeof db.tx>[0]>[0]) =>
        tx.query("UPDATE jobs SET state = 'cancelled' WHERE id = $1", [a.id]),
      (tx: Parameters<Parameters<typeof db.tx>[0]>[0]) => removeJob(tx, 'default', 'evt-remove', { schema }),
    ])
      await expect(
        db.tx(async (tx) => {
          await change(tx)
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
    await settle(1_500)
    expect(of(a.id)).toEqual([])
    expect(of(b.id)).toEqual([])
    expect((await c.call('POST', `/jobs/jobs/${a.id}/cancel`)).statusCode).toBe(200)
    expect((await c.call('DELETE', '/jobs/queues/default/keys/evt-remove')).statusCode).toBe(200)
    await waitFor('cancelled and removed', () => of(a.id).length === 1 && of(b.id).length === 1, 15_000)
    expect(of(a.id)).toEqual(['jobs.job.cancelled'])
    expect(of(b.id)).toEqual(['jobs.job.removed'])
    expect(got.find((m) => m.data.id === b.id)!.data).toMatchObject({ state: 'removed', key: 'evt-remove' })
  })

  it('publishes one event per job when one statement completes many, from one batch row', async () => {
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    // Active jobs no worker holds (never fetched: no lease to expire), completed by one statement.
    const { rows } = await db.query<{ id: string; lease: string }>(
      `INSERT INTO jobs (queue, task, state, attempts, lease, key)
       SELECT 'default', 'batch-' || i, 'active', 1, 7, 'evt-batch-' || i FROM generate_series(1, 30) i
       RETURNING id::text AS id, lease::text AS lease`,
    )
    const done = await new WorkerStore(db).complete(
      rows.map((r) => ({ id: r.id, lease: r.lease, result: '{"n":1}' })),
    )
    expect(done.size).toBe(30)
    const { rows: outbox } = await db.query<{ n: number; batch: boolean }>(
      "SELECT jsonb_array_length(payload) AS n, batch FROM outbox WHERE subject = 'jobs.job.completed' AND batch",
    )
    expect(outbox).toEqual([{ n: 30, batch: true }])
    await waitFor('30 events', () => rows.every((r) => of(r.id).length === 1), 15_000)
    for (const r of rows) {
      const m = got.find((g) => g.data.id === r.id)!
      expect(m.subject).toBe('jobs.job.completed')
      expect(m.data).toMatchObject({ state: 'completed', queue: 'default', attempt: 1, result: { n: 1 } })
      expect(m.data.key).toBe(`evt-batch-${m.data.task.slice('batch-'.length)}`)
    }
    expect(new Set(got.filter((g) => rows.some((r) => r.id === g.data.id)).map((g) => g.msgId)).size).toBe(30)
  })

  it('writes only the events JOBS_EVENTS names', async () => {
    const other = await jobsApp(backend, { JOBS_EVENTS: 'dead' })
    try {
      const db = other.app.db.withSchema(`${other.app.config.dbSchemaPrefix}jobs`)
      const ok = (await other.call('POST', '/jobs/queues/default/jobs', { task: 'noop' })).json()
      const bad = (
        await other.call('POST', '/jobs/queues/default/jobs', { task: 'fail', maxAttempts: 1 })
      ).json()
      await waitFor('both finished', async () => (await other.job(bad.id)).state === 'dead', 15_000)
      await waitFor('completed', async () => (await other.job(ok.id)).state === 'completed')
      const { rows } = await db.query<{ subject: string; id: string }>(
        "SELECT subject, payload->>'id' AS id FROM outbox ORDER BY id",
      )
      expect(rows).toEqual([{ subject: 'jobs.job.dead', id: bad.id }])
    } finally {
      await other.close()
    }
  })
})
