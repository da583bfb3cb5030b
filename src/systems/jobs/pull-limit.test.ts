/**
 * A pull queue's global concurrency limit (sql/0008, pull_fetch()), on each
 * backend: concurrent pull clients never hold more leases of a limited
 * queue than its limit, with or without a filter on tasks; a lease that
 * expires frees its slot even before the stalled-job sweep takes the job
 * back, and a late heartbeat cannot renew it; one fetch naming a limited and an unlimited queue takes from both,
 * best first, the limited one within its free slots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, type Json, jobsApp } from './testing.js'

describe.each(backends())('pull API: global concurrency (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    // No sweep during the file: an expired lease must free its slot by itself.
    c = await jobsApp(backend, {}, { sweepMs: 600_000 })
  })
  afterAll(() => c.close())

  const post = async (path: string, body: unknown) => {
    const res = await c.call('POST', `/jobs${path}`, body)
    return { status: res.statusCode, body: res.json() as Json }
  }
  const queue = async (name: string, globalConcurrency?: number) => {
    const res = await c.call('PUT', `/jobs/queues/${name}`, {
      pull: true,
      ...(globalConcurrency && { globalConcurrency }),
    })
    expect(res.statusCode).toBeLessThan(300)
  }
  const enqueue = async (q: string, jobs: unknown[]) => {
    const res = await c.call('POST', `/jobs/queues/${q}/jobs/batch`, { jobs })
    expect(res.statusCode).toBe(201)
    return (res.json() as Json).jobs.map((j: Json) => j.id as string) as string[]
  }
  const fetchJobs = async (body: Record<string, unknown>) => {
    const res = await post('/pull/fetch', { worker: 'test', leaseMs: 30_000, ...body })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.jobs as Json[]
  }

  it('concurrent clients never hold more leases than the limit while 30 jobs drain', async () => {
    await queue('two', 2)
    const ids = await enqueue(
      'two',
      Array.from({ length: 30 }, (_, i) => ({ task: i % 2 ? 'odd' : 'even', payload: { i } })),
    )
    const held = new Set<string>()
    let most = 0
    const done: string[] = []
    // A job counts as held from the fetch's answer to the completion's request: inside the server's lease.
    const client = async (n: number) => {
      const filter = n % 2 ? { tasks: ['odd', 'even'] } : {}
      while (done.length < ids.length) {
        const jobs = await fetchJobs({
          worker: `client-${n}`,
          queues: ['two'],
          max: 3,
          waitMs: 200,
          ...filter,
        })
        for (const j of jobs) held.add(j.id)
        most = Math.max(most, held.size)
        await settle(5 + n * 3)
        for (const j of jobs) {
          held.delete(j.id)
          expect((await post('/pull/complete', { id: j.id, leaseToken: j.leaseToken })).status).toBe(200)
          done.push(j.id)
        }
      }
    }
    let activeMost = 0
    let draining = true
    const watch = (async () => {
      while (draining) {
        const { rows } = await c.app.db
          .withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
          .query<{ n: number }>(
            "SELECT count(*)::int AS n FROM jobs WHERE queue = 'two' AND state = 'active'",
          )
        activeMost = Math.max(activeMost, rows[0]!.n)
        await settle(10)
      }
    })()
    await Promise.all([0, 1, 2, 3, 4].map(client))
    draining = false
    await watch
    expect(done.sort()).toEqual([...ids].sort())
    expect(most).toBeLessThanOrEqual(2)
    expect(most).toBe(2)
    expect(activeMost).toBeLessThanOrEqual(2)
  }, 60_000)

  it('filters a limited queue by task, and the limit counts every task', async () => {
    await queue('one', 1)
    const [a, b] = await enqueue('one', [
      { task: 'a', priority: 5 },
      { task: 'b', priority: 1 },
    ])
    const got = await fetchJobs({ queues: ['one'], tasks: ['b'], max: 5 })
    expect(got.map((j) => j.id)).toEqual([b])
    // The one slot is taken (by a 'b'): an 'a' waits although it is runnable.
    expect(await fetchJobs({ queues: ['one'], tasks: ['a'], max: 5 })).toEqual([])
    expect((await post('/pull/complete', { id: b, leaseToken: got[0].leaseToken })).status).toBe(200)
    expect((await fetchJobs({ queues: ['one'], tasks: ['a'], max: 5 })).map((j) => j.id)).toEqual([a])
  })

  it('frees the slot of a lease that expired, before any sweep', async () => {
    await queue('expiring', 1)
    const [first = '', second] = await enqueue('expiring', [{ task: 't', priority: 1 }, { task: 't' }])
    const got = await fetchJobs({ queues: ['expiring'], leaseMs: 1_000 })
    expect(got.map((j) => j.id)).toEqual([first])
    expect(await fetchJobs({ queues: ['expiring'] })).toEqual([])
    let next: Json[] = []
    await waitFor(
      'the expired lease to free its slot',
      async () => {
        next = await fetchJobs({ queues: ['expiring'] })
        return next.length > 0
      },
      15_000,
    )
    expect(next.map((j) => j.id)).toEqual([second])
    // Not swept: the first job is still active (its late completion would be fenced once it is taken back).
    expect((await c.job(first)).state).toBe('active')
    expect(await fetchJobs({ queues: ['expiring'] })).toEqual([])
    // Its slot was given away: a late heartbeat cannot renew the expired lease (two live leases for a
    // limit of 1); the client is told it lost the job.
    const late = await post('/pull/heartbeat', {
      jobs: [{ id: first, leaseToken: got[0]!.leaseToken }],
      leaseMs: 30_000,
    })
    expect(late.status).toBe(200)
    expect(late.body).toEqual({ held: [], lost: [first] })
  }, 30_000)

  it('takes from limited and unlimited queues in one fetch, best first, within the free slots', async () => {
    await queue('lim', 1)
    await queue('free')
    const [l1] = await enqueue('lim', [
      { task: 't', priority: 9 },
      { task: 't', priority: 8 },
    ])
    const [f1, f2] = await enqueue('free', [
      { task: 't', priority: 7 },
      { task: 't', priority: 6 },
    ])
    const got = await fetchJobs({ queues: ['free', 'lim'], max: 10 })
    expect(got.map((j) => j.id)).toEqual([l1, f1, f2])
    expect(await fetchJobs({ queues: ['lim', 'free'], max: 10 })).toEqual([])
  })
})
