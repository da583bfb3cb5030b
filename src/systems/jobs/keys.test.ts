/**
 * Remove or reschedule a pending job by its key, over REST, through the
 * engine API in the caller's transaction, and through SQL from another
 * schema: a scheduled job brought forward runs; a removed one is gone and its
 * key free; a job others depend on is refused; a running job does not hold
 * its key; bad values are named 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeJob, rescheduleJob } from '../../platform/jobs/keyed-jobs.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, jobsApp } from './testing.js'

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString()

describe.each(backends())('jobs by key (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend)
  })
  afterAll(() => c.close())

  const enqueue = async (body: unknown) => (await c.call('POST', '/jobs/queues/default/jobs', body)).json()
  const keyUrl = (key: string) => `/jobs/queues/default/keys/${encodeURIComponent(key)}`

  it('reads and reschedules a pending job by key; brought forward, it runs', async () => {
    const { id } = await enqueue({ task: 'noop', key: 'report/7', runAt: inAnHour() })
    const got = await c.call('GET', keyUrl('report/7'))
    expect(got.statusCode).toBe(200)
    expect(got.json()).toMatchObject({ id, state: 'scheduled', key: 'report/7' })
    const res = await c.call('PATCH', keyUrl('report/7'), { runAt: new Date().toISOString(), priority: 5 })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id, priority: 5, maxAttempts: 25 })
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
    // Completed: it no longer holds the key.
    expect((await c.call('GET', keyUrl('report/7'))).json().code).toBe('JOBS_UNKNOWN_KEY')
    expect((await c.call('PATCH', keyUrl('report/7'), { priority: 1 })).statusCode).toBe(404)
  })

  it('removes a pending job by key: gone, and the key free for a new job', async () => {
    const { id } = await enqueue({ task: 'noop', key: 'k-remove', runAt: inAnHour() })
    const res = await c.call('DELETE', keyUrl('k-remove'))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ id, state: 'scheduled', removed: true })
    expect((await c.call('GET', `/jobs/jobs/${id}`)).statusCode).toBe(404)
    const again = await c.call('DELETE', keyUrl('k-remove'))
    expect(again.statusCode).toBe(404)
    expect(again.json().code).toBe('JOBS_UNKNOWN_KEY')
    const next = await enqueue({ task: 'noop', key: 'k-remove', runAt: inAnHour() })
    expect(next.deduplicated).toBe(false)
    expect(next.id).not.toBe(id)
  })

  it('refuses to remove a job others depend on (409), and leaves it', async () => {
    const parent = await enqueue({ task: 'noop', key: 'parent', runAt: inAnHour() })
    await enqueue({ task: 'noop', dependsOn: [parent.id] })
    const res = await c.call('DELETE', keyUrl('parent'))
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('JOBS_HAS_DEPENDENTS')
    expect((await c.job(parent.id)).state).toBe('scheduled')
  })

  it('leaves a running job alone: it does not hold its key', async () => {
    const { id } = await enqueue({ task: 'sleep', payload: { ms: 1500 }, key: 'running' })
    await waitFor('active', async () => (await c.job(id)).state === 'active')
    expect((await c.call('DELETE', keyUrl('running'))).statusCode).toBe(404)
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
  })

  it('runs in the caller’s transaction through the engine API, and from SQL in another schema', async () => {
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    const schema = db.schema
    const { id } = await enqueue({ task: 'noop', key: 'tx', runAt: inAnHour() })
    await expect(
      db.tx(async (tx) => {
        expect(await removeJob(tx, 'default', 'tx', { schema })).toMatchObject({ id, task: 'noop' })
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect((await c.job(id)).state).toBe('scheduled')
    const later = new Date(Date.now() + 7_200_000)
    const moved = await db.tx((tx) => rescheduleJob(tx, 'default', 'tx', { runAt: later }, { schema }))
    expect(moved).toMatchObject({ id, state: 'scheduled', runAt: later.toISOString() })
    const pub = c.app.db.withSchema('public')
    const { rows } = await pub.query<{ id: string }>(
      `SELECT id::text AS id FROM "${schema}".remove_job('default', 'tx')`,
    )
    expect(rows).toEqual([{ id }])
    expect(await removeJob(db, 'default', 'tx')).toBeUndefined()
  })

  it('names bad values with a 4xx', async () => {
    await enqueue({ task: 'noop', key: 'bad', runAt: inAnHour() })
    const far = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString()
    const cases: [unknown, number, string][] = [
      [{}, 422, 'JOBS_INVALID'],
      [{ runAt: far }, 422, 'JOBS_INVALID_RUN_AT'],
      [{ runAt: 'soon' }, 400, 'VALIDATION_FAILED'],
      [{ maxAttempts: 0 }, 400, 'VALIDATION_FAILED'],
      [{ delay: 5 }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [body, status, code] of cases) {
      const res = await c.call('PATCH', keyUrl('bad'), body)
      expect(res.statusCode, JSON.stringify(body)).toBe(status)
      expect(res.json().code, JSON.stringify(body)).toBe(code)
    }
    expect((await c.call('DELETE', `/jobs/queues/default/keys/${'x'.repeat(501)}`)).statusCode).toBe(400)
  })
})
