/**
 * The worker against a real schema on each backend: order (priority, runAt),
 * retries to the dead state with every attempt's error, timeouts, leases
 * (a slow worker keeps its job; a hung one loses it and its late completion
 * is refused and counted), graceful shutdown, cancel of a running job.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../platform/db/port.js'
import { LeaseLostError } from '../../platform/jobs/attempt.js'
import { addJob, addJobs } from '../../platform/jobs/enqueue.js'
import type { TaskContext, TaskDefinition } from '../../platform/jobs/types.js'
import { migrateJobs, WorkerFixture } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { JobsStore } from './jobs.store.js'

async function setup(
  backend: 'embedded' | 'services',
): Promise<{ db: Db; f: WorkerFixture; store: JobsStore }> {
  const db = await testDb(backend)
  await migrateJobs(db)
  return { db, f: new WorkerFixture(db), store: new JobsStore(db) }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })
}

async function stateOf(store: JobsStore, id: string): Promise<string | undefined> {
  return (await store.get(id))?.state
}

describe.each(backends())('worker (%s)', (backend) => {
  // Opening the backend (PGlite boots in seconds) is not part of any test's time.
  beforeAll(() => testDb(backend))
  let f: WorkerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it('runs higher priorities first, then by runAt and id', async () => {
    const s = await setup(backend)
    f = s.f
    const priorities = [0, 5, -3, 5, 10, 0, 1]
    const added = await addJobs(
      s.db,
      'default',
      priorities.map((p, i) => ({ task: 'record', payload: { i }, priority: p })),
    )
    const order: number[] = []
    await f.worker(
      { record: { handler: (p) => void order.push((p as { i: number }).i) } },
      { concurrency: 1 },
    )
    await waitFor('all jobs', () => order.length === priorities.length)
    const expected = priorities
      .map((p, i) => ({ p, i }))
      .sort((a, b) => b.p - a.p || a.i - b.i)
      .map((x) => x.i)
    expect(order).toEqual(expected)
    expect(added).toHaveLength(priorities.length)
  })

  it('does not start a job before its runAt', async () => {
    const s = await setup(backend)
    f = s.f
    const started: { id: string; at: number }[] = []
    const task: TaskDefinition = {
      handler: (_p, ctx) => void started.push({ id: ctx.job.id, at: Date.now() }),
    }
    await f.worker({ t: task })
    // The due job first, and a margin a loaded machine's enqueue cannot eat: a later job enqueued
    // after its own runAt had passed would rightly run at once and be reported waiting.
    const now = await addJob(s.db, 'default', { task: 't' })
    const runAt = new Date(Date.now() + 1_500)
    const later = await addJob(s.db, 'default', { task: 't', runAt })
    expect(later.state).toBe('scheduled')
    expect(now.state).toBe('waiting')
    await waitFor('both jobs', () => started.length === 2)
    expect(started[0]!.id).toBe(now.id)
    const job = (await s.store.get(later.id))!
    expect(new Date(job.startedAt!).getTime()).toBeGreaterThanOrEqual(runAt.getTime())
  })

  it('retries with backoff and keeps every attempt’s error and stack in the dead state', async () => {
    const s = await setup(backend)
    f = s.f
    let calls = 0
    await f.worker({
      flaky: {
        handler() {
          calls++
          throw new TypeError(`failure number ${calls}`)
        },
      },
    })
    const { id } = await addJob(s.db, 'default', { task: 'flaky', maxAttempts: 3 })
    await waitFor('dead', async () => (await stateOf(s.store, id)) === 'dead')
    const job = (await s.store.get(id))!
    expect(job.attemptsMade).toBe(3)
    expect(job.attempts!.map((a) => a.error)).toEqual([
      'TypeError: failure number 1',
      'TypeError: failure number 2',
      'TypeError: failure number 3',
    ])
    expect(job.attempts!.every((a) => a.stack?.includes('TypeError'))).toBe(true)
    // Stacks point into the code relative to the project root, never at this machine's directories.
    for (const a of job.attempts!) {
      expect(a.stack).toMatch(/[( ]src\/systems\/jobs\/worker\.test\.ts:\d+:\d+/)
      expect(a.stack).not.toMatch(/(^|[\s(])(file:\/\/)?\//m)
      expect(a.stack).not.toContain(process.cwd())
    }
    expect(job.lastError).toBe('TypeError: failure number 3')
    expect(f.metrics.queue('default').dead).toBe(1)
  })

  it('fails an attempt that outlives its timeout and aborts its signal', async () => {
    const s = await setup(backend)
    f = s.f
    let aborted = 0
    await f.worker({
      hang: {
        async handler(_p, ctx) {
          await sleep(60_000, ctx.signal)
          if (ctx.signal.aborted) aborted++
        },
      },
    })
    const { id } = await addJob(s.db, 'default', { task: 'hang', maxAttempts: 1, timeoutMs: 100 })
    await waitFor('dead', async () => (await stateOf(s.store, id)) === 'dead')
    expect((await s.store.get(id))!.attempts![0]!.error).toMatch(
      /TimeoutError: the attempt timed out after 100 ms/,
    )
    expect(aborted).toBe(1)
  })

  it('keeps the job of a slow worker that heartbeats: it runs once, past several lease periods', async () => {
    const s = await setup(backend)
    f = s.f
    let runs = 0
    const slow: TaskDefinition = {
      async handler() {
        runs++
        await sleep(1_600)
      },
    }
    await f.sweeper(500)
    await f.worker({ slow }, { leaseMs: 500, heartbeatMs: 50 })
    await f.worker({ slow }, { leaseMs: 500, heartbeatMs: 50 })
    const { id } = await addJob(s.db, 'default', { task: 'slow' })
    await waitFor('completed', async () => (await stateOf(s.store, id)) === 'completed')
    expect(runs).toBe(1)
    expect((await s.store.get(id))!.stalls).toBe(0)
  })

  it('refuses and counts the late completion of a worker whose lease expired (plain and transactional)', async () => {
    const s = await setup(backend)
    f = s.f
    await s.db.query('CREATE TABLE effects (job_id bigint NOT NULL, worker text NOT NULL)')
    const outcomes: string[] = []
    let first = true
    let secondStarted = () => {}
    // Labelled by attempt: either worker may take the second attempt (A is alive, just late).
    const effect = () =>
      ({
        async handler(p: unknown, ctx: TaskContext) {
          const who = String(ctx.job.attempts)
          const slowNow = first
          first = false
          // Hung (no heartbeat) until the job has been swept and taken by the second attempt: a fixed
          // sleep raced the sweeper on a loaded machine, and A then completed a job nobody had taken back.
          if (slowNow) await new Promise<void>((resolve) => (secondStarted = resolve))
          else secondStarted()
          try {
            if ((p as { tx: boolean }).tx)
              await ctx.completeWith((tx) =>
                tx.query('INSERT INTO effects VALUES ($1, $2)', [ctx.job.id, who]),
              )
            outcomes.push(`${who}:ok`)
          } catch (err) {
            outcomes.push(`${who}:${(err as Error).name}`)
            throw err
          }
        },
      }) satisfies TaskDefinition
    for (const tx of [false, true]) {
      first = true
      outcomes.length = 0
      // Worker A never heartbeats (a hung process); B is healthy.
      const a = await f.worker({ effect: effect() }, { leaseMs: 150, heartbeatMs: 0 })
      const { id } = await addJob(s.db, 'default', { task: 'effect', payload: { tx } })
      await waitFor('A took the job', () => a.activeCount === 1)
      const refusedBefore = f.metrics.queue('default').refused
      await f.sweeper(150)
      // B's lease is long enough that a late heartbeat on a loaded machine cannot make it stall too.
      await f.worker({ effect: effect() }, { leaseMs: 10_000, heartbeatMs: 1_000 })
      await waitFor('completed by B', async () => (await stateOf(s.store, id)) === 'completed')
      await waitFor('A finished too', () => outcomes.length === 2)
      await waitFor('A refused', () => f!.metrics.queue('default').refused === refusedBefore + 1)
      const job = (await s.store.get(id))!
      expect(job.stalls).toBe(1)
      expect(job.attemptsMade).toBe(2)
      expect(job.attempts![0]!.error).toMatch(/StalledError/)
      if (!tx) expect(outcomes.sort()).toEqual(['1:ok', '2:ok'])
      if (tx) {
        expect(outcomes.sort()).toEqual(['1:LeaseLostError', '2:ok'])
        const rows = await s.db.query<{ worker: string }>('SELECT worker FROM effects WHERE job_id = $1', [
          id,
        ])
        expect(rows.rows).toEqual([{ worker: '2' }])
      }
      await f.close()
      f = new WorkerFixture(s.db)
    }
    expect(LeaseLostError.name).toBe('LeaseLostError')
  })

  it('shutdown lets short jobs finish and hands long ones back, leaving nothing locked', async () => {
    const s = await setup(backend)
    f = s.f
    const w = await f.worker(
      {
        quick: { handler: () => sleep(100) },
        long: { handler: (_p, ctx) => sleep(60_000, ctx.signal) },
      },
      { shutdownGraceMs: 500 },
    )
    const quick = await addJob(s.db, 'default', { task: 'quick' })
    const long = await addJob(s.db, 'default', { task: 'long' })
    await waitFor('both running', () => w.activeCount === 2)
    await w.stop()
    expect(await stateOf(s.store, quick.id)).toBe('completed')
    const back = (await s.store.get(long.id))!
    expect(back.state).toBe('waiting')
    expect(back.attemptsMade).toBe(0)
    const { rows } = await s.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE state = 'active' OR locked_by IS NOT NULL",
    )
    expect(rows[0]!.n).toBe(0)
  })

  it('cancels a running job: the handler is aborted and its completion refused', async () => {
    const s = await setup(backend)
    f = s.f
    let sawAbort = false
    const w = await f.worker(
      {
        long: {
          async handler(_p, ctx) {
            await sleep(60_000, ctx.signal)
            sawAbort = ctx.signal.aborted
          },
        },
      },
      { leaseMs: 300, heartbeatMs: 30 },
    )
    const { id } = await addJob(s.db, 'default', { task: 'long' })
    await waitFor('running', () => w.activeCount === 1)
    expect((await s.store.cancel(id))?.cancelled).toBe(true)
    await waitFor('aborted', () => sawAbort)
    await settle(100)
    expect(await stateOf(s.store, id)).toBe('cancelled')
  })

  it('respects a queue’s concurrency and records progress', async () => {
    const s = await setup(backend)
    f = s.f
    await s.db.query("INSERT INTO queues (name, concurrency) VALUES ('narrow', 2)")
    let running = 0
    let peak = 0
    await f.worker({
      step: {
        async handler(_p, ctx) {
          running++
          peak = Math.max(peak, running)
          await ctx.progress({ pct: 50 })
          await sleep(30)
          running--
        },
      },
    })
    const jobs = await addJobs(
      s.db,
      'narrow',
      Array.from({ length: 10 }, () => ({ task: 'step' })),
    )
    await waitFor(
      'all done',
      async () => (await s.store.list({ queue: 'narrow', state: 'completed', limit: 20 })).jobs.length === 10,
    )
    expect(peak).toBeLessThanOrEqual(2)
    expect((await s.store.get(jobs[0]!.id))!.progress).toEqual({ pct: 50 })
  })
})
