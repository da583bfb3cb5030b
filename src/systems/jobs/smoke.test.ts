import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, jobsApp } from './testing.js'

describe.each(backends())('jobs smoke (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend)
  })
  afterAll(() => c.close())

  it('enqueues and runs a job', async () => {
    const res = await c.call('POST', '/jobs/queues/default/jobs', { task: 'noop', payload: { a: 1 } })
    expect(res.statusCode).toBe(201)
    const { id, state } = res.json()
    expect(state).toBe('waiting')
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
    const fail = await c.call('POST', '/jobs/queues/default/jobs', { task: 'fail', maxAttempts: 2 })
    const fid = fail.json().id
    await waitFor('dead', async () => (await c.job(fid)).state === 'dead')
    const job = await c.job(fid)
    expect(job.attempts).toHaveLength(2)
  })
})
