/**
 * How often the worker fetches, on each backend: under a backlog at
 * concurrency 1, the buffer is refilled at half and the prefetch grows with
 * full fetches, so one fetch serves many jobs (topping the buffer up as each
 * slot freed cost a fetch per job or two: 600 jobs took 109 fetches on PGlite); a
 * queue that keeps up is fetched at once on each wake-up all the same.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { addJob, addJobs } from '../../platform/jobs/enqueue.js'
import { nextAhead } from '../../platform/jobs/queue-slots.js'
import { migrateJobs, WorkerFixture } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { JobsStore } from './jobs.store.js'

describe('how far ahead the next fetch asks', () => {
  it('grows on full fetches, keeps its size on a backlog smaller than it, and goes back to the prefetch when the queue keeps up', () => {
    // Full fetches double it, up to the fetch batch.
    expect(nextAhead(10, 11, 11, 10, 500)).toBe(20)
    expect(nextAhead(320, 321, 321, 10, 500)).toBe(500)
    // A backlog fed in blocks: 250 of the 321 asked for. Starting over at 10 here is what made a fetch
    // serve ~50 jobs at concurrency 1.
    expect(nextAhead(320, 250, 321, 10, 500)).toBe(320)
    // Less than half: the queue is keeping up, hold only the prefetch.
    expect(nextAhead(320, 100, 321, 10, 500)).toBe(10)
    expect(nextAhead(20, 0, 1, 10, 500)).toBe(10)
    // No prefetch configured: never ahead.
    expect(nextAhead(0, 5, 5, 0, 500)).toBe(0)
  })
})

describe.each(backends())('prefetch (%s)', (backend) => {
  beforeAll(() => testDb(backend))
  let f: WorkerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it('drains a backlog of 600 jobs at concurrency 1 in a few dozen fetches, not one per job', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    f = new WorkerFixture(db)
    const store = new JobsStore(db)
    await addJobs(
      db,
      'default',
      Array.from({ length: 600 }, () => ({ task: 'noop' })),
    )
    let ran = 0
    await f.worker(
      { noop: { handler: () => void ran++ } },
      { concurrency: 1, queueConcurrency: 1, prefetch: 10, fetchBatch: 500 },
    )
    await waitFor('600 jobs ran', () => ran === 600, 120_000)
    const fetches = f.metrics.queue('default').fetches
    expect(fetches).toBeLessThanOrEqual(30)
    // An idle queue still starts a new job at once (its wake-up fetches, whatever the buffer did).
    const { id } = await addJob(db, 'default', { task: 'noop' })
    await waitFor('the new job completed', async () => (await store.get(id))?.state === 'completed', 30_000)
  })
})
