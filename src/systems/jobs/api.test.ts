/**
 * The REST API through the whole app: enqueue (201 { id, state }),
 * Idempotency-Key, dedupe and debounce keys, transactional enqueue and the
 * SQL function, reading a job with its attempts, list and filter, counts,
 * cancel, redrive (one, filter, all), pause and resume, schedules CRUD,
 * traceparent stored on the job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addJob } from '../../platform/jobs/enqueue.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, jobsApp } from './testing.js'

describe.each(backends())('jobs REST API (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend)
  })
  afterAll(() => c.close())

  const enqueue = (body: unknown, queue = 'default', headers?: Record<string, string>) =>
    c.call('POST', `/jobs/queues/${queue}/jobs`, body, headers)

  it('enqueues, runs, and answers the job with its state and attempts', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const res = await enqueue({ task: 'noop', payload: { hello: 'world' } }, 'default', { traceparent })
    expect(res.statusCode).toBe(201)
    const { id, state } = res.json()
    expect(state).toBe('waiting')
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
    const job = await c.job(id)
    expect(job).toMatchObject({
      id,
      queue: 'default',
      task: 'noop',
      payload: { hello: 'world' },
      attemptsMade: 1,
      traceparent,
    })
    expect(job.attempts).toEqual([])
    expect((await c.call('GET', '/jobs/jobs/999999999')).statusCode).toBe(404)
    expect((await c.call('GET', '/jobs/jobs/99999999999999999999')).statusCode).toBe(404)
  })

  it('replays an Idempotency-Key with the same body, refuses it with another', async () => {
    const h = { 'idempotency-key': `k-${Math.random()}` }
    const a = await enqueue({ task: 'sleep', payload: { ms: 1 } }, 'default', h)
    const b = await enqueue({ task: 'sleep', payload: { ms: 1 } }, 'default', h)
    expect(a.statusCode).toBe(201)
    expect(b.statusCode).toBe(200)
    expect(b.headers['idempotent-replayed']).toBe('true')
    expect(b.json().id).toBe(a.json().id)
    const other = await enqueue({ task: 'sleep', payload: { ms: 2 } }, 'default', h)
    expect(other.statusCode).toBe(422)
    expect(other.json().code).toBe('JOBS_IDEMPOTENCY_KEY_REUSED')
    // Concurrent first requests with one key: one job.
    const k = { 'idempotency-key': `race-${Math.random()}` }
    const all = await Promise.all(Array.from({ length: 8 }, () => enqueue({ task: 'noop' }, 'default', k)))
    expect(new Set(all.map((r) => r.json().id)).size).toBe(1)
    expect(all.filter((r) => r.statusCode === 201)).toHaveLength(1)
  })

  it('replaces a pending job with the same key (debounce), or keeps it (dedupe)', async () => {
    await c.call('PUT', '/jobs/queues/debounce', {})
    await c.call('POST', '/jobs/queues/debounce/pause')
    const a = (await enqueue({ task: 'noop', key: 'user-1', payload: { v: 1 } }, 'debounce')).json()
    const b = (await enqueue({ task: 'noop', key: 'user-1', payload: { v: 2 } }, 'debounce')).json()
    expect(b).toMatchObject({ id: a.id, deduplicated: true })
    expect((await c.job(a.id)).payload).toEqual({ v: 2 })
    const kept = (
      await enqueue({ task: 'noop', key: 'user-1', keyMode: 'keep', payload: { v: 3 } }, 'debounce')
    ).json()
    expect(kept.id).toBe(a.id)
    expect((await c.job(a.id)).payload).toEqual({ v: 2 })
    await c.call('POST', '/jobs/queues/debounce/resume')
    await waitFor('completed', async () => (await c.job(a.id)).state === 'completed')
    // Finished: the key is free again.
    const d = (await enqueue({ task: 'noop', key: 'user-1' }, 'debounce')).json()
    expect(d.id).not.toBe(a.id)
  })

  it('enqueues inside the caller’s transaction, and through the SQL function from any schema', async () => {
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    const schema = db.schema
    // Rolled back: no job.
    await expect(
      db.tx(async (tx) => {
        await addJob(tx, 'default', { task: 'noop', key: 'rolled-back' }, { schema })
        throw new Error('business write failed')
      }),
    ).rejects.toThrow('business write failed')
    expect((await db.query("SELECT 1 FROM jobs WHERE key = 'rolled-back'")).rowCount).toBe(0)
    // Committed: the job runs.
    const id = await db.tx(async (tx) => (await addJob(tx, 'default', { task: 'noop' }, { schema })).id)
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
    // Any language: SQL from another search path.
    const pub = c.app.db.withSchema('public')
    const { rows } = await pub.query<{ id: string; state: string }>(
      `SELECT id::text AS id, state FROM "${schema}".add_job('default', 'noop', '{"from":"sql"}'::jsonb, priority => 3)`,
    )
    expect(rows[0]!.state).toBe('waiting')
    await waitFor('completed', async () => (await c.job(rows[0]!.id)).state === 'completed')
    await expect(pub.query(`SELECT * FROM "${schema}".add_job('nope', 'noop')`)).rejects.toThrow(
      /queue "nope" does not exist/,
    )
  })

  it('lists with filters and a cursor, and counts per queue and state', async () => {
    await c.call('PUT', '/jobs/queues/listing', { concurrency: 1 })
    await c.call('POST', '/jobs/queues/listing/pause')
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push((await enqueue({ task: 'noop', payload: { i } }, 'listing')).json().id)
    await enqueue({ task: 'noop', runAt: new Date(Date.now() + 3_600_000).toISOString() }, 'listing')
    const page1 = (await c.call('GET', '/jobs/jobs?queue=listing&state=waiting&limit=3')).json()
    expect(page1.jobs.map((j: { id: string }) => j.id)).toEqual(ids.slice(2).reverse())
    const page2 = (
      await c.call('GET', `/jobs/jobs?queue=listing&state=waiting&limit=3&before=${page1.next}`)
    ).json()
    expect(page2.jobs.map((j: { id: string }) => j.id)).toEqual(ids.slice(0, 2).reverse())
    const q = (await c.call('GET', '/jobs/queues/listing')).json()
    expect(q).toMatchObject({ name: 'listing', paused: true, concurrency: 1 })
    expect(q.counts).toMatchObject({ waiting: 5, scheduled: 1, active: 0 })
    const counts = (await c.call('GET', '/jobs/counts')).json()
    expect(counts.queues.listing.waiting).toBe(5)
    expect(
      (await c.call('GET', '/jobs/queues')).json().queues.map((x: { name: string }) => x.name),
    ).toContain('listing')
    expect((await c.call('GET', '/jobs/tasks')).json().tasks.map((t: { name: string }) => t.name)).toEqual([
      'fail',
      'http',
      'noop',
      'sleep',
    ])
  })

  it('cancels, and redrives one, by filter, and all', async () => {
    await c.call('PUT', '/jobs/queues/redrive', {})
    const dead: string[] = []
    for (let i = 0; i < 3; i++)
      dead.push((await enqueue({ task: 'fail', maxAttempts: 1 }, 'redrive')).json().id)
    for (const id of dead) await waitFor('dead', async () => (await c.job(id)).state === 'dead')
    const one = await c.call('POST', `/jobs/jobs/${dead[0]}/redrive`)
    expect(one.statusCode).toBe(200)
    await waitFor('dead again', async () => (await c.job(dead[0]!)).state === 'dead')
    const job = await c.job(dead[0]!)
    expect(job.attempts).toHaveLength(2)
    expect((await c.call('POST', '/jobs/redrive', {})).statusCode).toBe(422)
    const byQueue = (await c.call('POST', '/jobs/redrive', { queue: 'redrive' })).json()
    expect(byQueue.redriven).toBe(3)
    for (const id of dead) await waitFor('dead again', async () => (await c.job(id)).state === 'dead')
    const all = (await c.call('POST', '/jobs/redrive', { all: true })).json()
    expect(all.redriven).toBeGreaterThanOrEqual(3)

    await c.call('POST', '/jobs/queues/redrive/pause')
    const pending = (await enqueue({ task: 'noop' }, 'redrive')).json().id
    expect((await c.call('POST', `/jobs/jobs/${pending}/cancel`)).json()).toEqual({
      id: pending,
      state: 'cancelled',
    })
    const again = await c.call('POST', `/jobs/jobs/${pending}/cancel`)
    expect(again.statusCode).toBe(409)
    expect((await c.call('POST', `/jobs/jobs/${pending}/redrive`)).json().state).toBe('waiting')
    await c.call('POST', '/jobs/queues/redrive/resume')
    await waitFor('completed', async () => (await c.job(pending)).state === 'completed')
    expect((await c.call('POST', `/jobs/jobs/${pending}/redrive`)).statusCode).toBe(409)
  })

  it('creates, reads, replaces and deletes schedules', async () => {
    const body = { task: 'noop', cron: '0 9 * * 1-5', tz: 'Europe/Paris', catchUp: 'none' }
    const created = await c.call('PUT', '/jobs/schedules/morning', body)
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      name: 'morning',
      queue: 'default',
      cron: '0 9 * * 1-5',
      tz: 'Europe/Paris',
    })
    const replaced = await c.call('PUT', '/jobs/schedules/morning', { ...body, payload: { v: 2 } })
    expect(replaced.statusCode).toBe(200)
    expect(replaced.json().nextTick).toBe(created.json().nextTick)
    expect((await c.call('GET', '/jobs/schedules')).json().schedules).toHaveLength(1)
    expect((await c.call('GET', '/jobs/schedules/morning')).json().payload).toEqual({ v: 2 })
    expect((await c.call('DELETE', '/jobs/schedules/morning')).statusCode).toBe(204)
    expect((await c.call('GET', '/jobs/schedules/morning')).statusCode).toBe(404)
  })
})
