/**
 * Dependencies: a job runs once all its parents completed. Shared
 * dependencies (a diamond; many children on one parent; one dependency
 * shared by two flows, the case of taskforcesh/bullmq#1021) run every node
 * exactly once and in order; a failed parent fails or releases its children.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { addJob } from '../../platform/jobs/enqueue.js'
import type { TaskDefinition } from '../../platform/jobs/types.js'
import { migrateJobs, WorkerFixture } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { JobsStore } from './jobs.store.js'
import { JobsService } from './service.js'

describe.each(backends())('dependencies (%s)', (backend) => {
  // Opening the backend (PGlite boots in seconds) is not part of any test's time.
  beforeAll(() => testDb(backend))
  let f: WorkerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  async function setup() {
    const db = await testDb(backend)
    await migrateJobs(db)
    f = new WorkerFixture(db)
    const runs: string[] = []
    const node: TaskDefinition = {
      async handler(p) {
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10))
        runs.push((p as { name: string }).name)
      },
    }
    const tasks = new Map<string, TaskDefinition>([
      ['node', node],
      ['fail', { handler: () => Promise.reject(new Error('parent failed')) }],
    ])
    return { db, runs, store: new JobsStore(db), service: new JobsService(db, tasks, 262_144), tasks }
  }

  it('runs a diamond and a shared dependency of two flows, each node once and after its parents', async () => {
    const s = await setup()
    // Flow 1: A -> (B, C) -> D. Flow 2: A -> E (A is shared by both flows).
    const out = await s.service.enqueueBatch('default', [
      { ref: 'D', task: 'node', payload: { name: 'D' }, dependsOn: ['B', 'C'] },
      { ref: 'B', task: 'node', payload: { name: 'B' }, dependsOn: ['A'] },
      { ref: 'C', task: 'node', payload: { name: 'C' }, dependsOn: ['A'] },
      { ref: 'A', task: 'node', payload: { name: 'A' } },
    ])
    const e = await addJob(s.db, 'default', { task: 'node', payload: { name: 'E' }, dependsOn: [out[3]!.id] })
    expect(out.map((o) => o.state)).toEqual(['scheduled', 'scheduled', 'scheduled', 'waiting'])
    expect(e.state).toBe('scheduled')
    await f!.worker(Object.fromEntries(s.tasks), { concurrency: 10 })
    await waitFor('all five', () => s.runs.length === 5)
    expect([...s.runs].sort()).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(s.runs[0]).toBe('A')
    expect(s.runs.indexOf('D')).toBeGreaterThan(Math.max(s.runs.indexOf('B'), s.runs.indexOf('C')))
    const d = (await s.store.get(out[0]!.id))!
    expect(d.dependsOn).toEqual([out[1]!.id, out[2]!.id].sort((a, b) => Number(a) - Number(b)))
  })

  it('unblocks many children sharing many parents completing concurrently, each exactly once', async () => {
    const s = await setup()
    const parents = await s.service.enqueueBatch(
      'default',
      Array.from({ length: 20 }, (_, i) => ({ ref: `p${i}`, task: 'node', payload: { name: `p${i}` } })),
    )
    const ids = parents.map((p) => p.id)
    // Each child depends on every parent: the last parent to complete, in whichever batch, unblocks it.
    await s.service.enqueueBatch(
      'default',
      Array.from({ length: 30 }, (_, i) => ({ task: 'node', payload: { name: `c${i}` }, dependsOn: ids })),
    )
    await f!.worker(Object.fromEntries(s.tasks), { concurrency: 20, queueConcurrency: 20 })
    await f!.worker(Object.fromEntries(s.tasks), { concurrency: 20, queueConcurrency: 20 })
    await waitFor('all 50', () => s.runs.length === 50, 20_000)
    expect(new Set(s.runs).size).toBe(50)
    const lastParent = Math.max(...Array.from({ length: 20 }, (_, i) => s.runs.indexOf(`p${i}`)))
    const firstChild = Math.min(...Array.from({ length: 30 }, (_, i) => s.runs.indexOf(`c${i}`)))
    expect(firstChild).toBeGreaterThan(lastParent)
  })

  it('a dead parent fails `fail` children (transitively) and releases `release` children', async () => {
    const s = await setup()
    const out = await s.service.enqueueBatch('default', [
      { ref: 'P', task: 'fail', maxAttempts: 1 },
      { ref: 'F', task: 'node', payload: { name: 'F' }, dependsOn: ['P'] },
      { ref: 'G', task: 'node', payload: { name: 'G' }, dependsOn: ['F'] },
      { ref: 'R', task: 'node', payload: { name: 'R' }, dependsOn: ['P'], onParentFailure: 'release' },
    ])
    await f!.worker(Object.fromEntries(s.tasks))
    await waitFor('R ran', () => s.runs.includes('R'))
    await waitFor('G dead', async () => (await s.store.get(out[2]!.id))!.state === 'dead')
    expect((await s.store.get(out[1]!.id))!.lastError).toBe(`dependency ${out[0]!.id} failed`)
    expect(s.runs).toEqual(['R'])
    // A job added later on a dead parent fails at once.
    const late = await addJob(s.db, 'default', { task: 'node', dependsOn: [out[0]!.id] })
    expect(late.state).toBe('dead')
  })

  it('refuses cycles, unknown refs and unknown parents before writing anything', async () => {
    const s = await setup()
    await expect(
      s.service.enqueueBatch('default', [
        { ref: 'a', task: 'node', dependsOn: ['b'] },
        { ref: 'b', task: 'node', dependsOn: ['c'] },
        { ref: 'c', task: 'node', dependsOn: ['a'] },
      ]),
    ).rejects.toMatchObject({ code: 'JOBS_DEPENDENCY_CYCLE', status: 422 })
    await expect(
      s.service.enqueueBatch('default', [{ ref: 'a', task: 'node', dependsOn: ['a'] }]),
    ).rejects.toMatchObject({ code: 'JOBS_DEPENDENCY_CYCLE' })
    await expect(
      s.service.enqueueBatch('default', [{ task: 'node', dependsOn: ['nope'] }]),
    ).rejects.toMatchObject({ code: 'JOBS_INVALID' })
    await expect(addJob(s.db, 'default', { task: 'node', dependsOn: ['999999'] })).rejects.toMatchObject({
      code: 'JOBS_UNKNOWN_DEPENDENCY',
    })
    const { rows } = await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')
    expect(rows[0]!.n).toBe(0)
  })
})
