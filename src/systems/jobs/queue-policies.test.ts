/**
 * Queue policies (sql/0003), on each backend: a global concurrency limit shared
 * by several workers on one database; throttling keys that keep the first run
 * time (preserve_run_at); per-queue defaults of max attempts, backoff and
 * retention; dead jobs copied to the queue's dead-letter queue, from a failed
 * last attempt and from a stalled one; the REST API's settings and refusals.
 * Across real processes: serial-queue.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../platform/db/port.js'
import { addJob, addJobs } from '../../platform/jobs/enqueue.js'
import { WorkerStore } from '../../platform/jobs/worker.store.js'
import { migrateJobs, WorkerFixture } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { JobsStore } from './jobs.store.js'
import { type JobsClient, jobsApp } from './testing.js'

describe.each(backends())('queue policies, worker level (%s)', (backend) => {
  beforeAll(() => testDb(backend))
  let f: WorkerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  async function setup(): Promise<{ db: Db; store: JobsStore }> {
    const db = await testDb(backend)
    await migrateJobs(db)
    f = new WorkerFixture(db)
    return { db, store: new JobsStore(db) }
  }

  it('a serial queue runs one job at a time across three workers; a limit of 2 never runs three', async () => {
    const { db, store } = await setup()
    await db.query("INSERT INTO queues (name, global_concurrency) VALUES ('serial', 1), ('two', 2)")
    let running = 0
    const peak = new Map<string, number>()
    const overlap = (queue: string) => ({
      async handler() {
        running++
        peak.set(queue, Math.max(peak.get(queue) ?? 0, running))
        await new Promise((r) => setTimeout(r, 3))
        running--
      },
    })
    for (let i = 0; i < 3; i++)
      await f!.worker(
        { serial: overlap('serial'), two: overlap('two') },
        { concurrency: 10, queueConcurrency: 10, prefetch: 10, queues: ['serial'] },
      )
    const ids = (
      await addJobs(
        db,
        'serial',
        Array.from({ length: 25 }, () => ({ task: 'serial' })),
      )
    ).map((j) => j.id)
    await waitFor(
      'the serial queue drained',
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await store.get(id))?.state))
        return states.every((s) => s === 'completed')
      },
      60_000,
    )
    expect(peak.get('serial')).toBe(1)

    for (let i = 0; i < 3; i++)
      await f!.worker({ two: overlap('two') }, { concurrency: 10, queueConcurrency: 10, queues: ['two'] })
    const two = (
      await addJobs(
        db,
        'two',
        Array.from({ length: 25 }, () => ({ task: 'two' })),
      )
    ).map((j) => j.id)
    await waitFor(
      'the queue limited to 2 drained',
      async () => {
        const states = await Promise.all(two.map(async (id) => (await store.get(id))?.state))
        return states.every((s) => s === 'completed')
      },
      60_000,
    )
    expect(peak.get('two')).toBeLessThanOrEqual(2)
  }, 180_000)

  it('the plain fetch refuses a limited queue (a worker with stale settings cannot pass the limit)', async () => {
    const { db } = await setup()
    await db.query("INSERT INTO queues (name) VALUES ('late')")
    await addJobs(db, 'late', [{ task: 'x' }, { task: 'x' }, { task: 'x' }])
    // Set behind the workers' backs (no NOTIFY): one that still thinks the queue unlimited
    // uses the plain fetch, which must take nothing now.
    await db.query("UPDATE queues SET global_concurrency = 2 WHERE name = 'late'")
    const store = new WorkerStore(db)
    expect(await store.fetch('late', 5, 'stale', 30_000)).toHaveLength(0)
    expect(await store.fetchLimited('late', 5, 'a', 30_000)).toHaveLength(2)
    expect(await store.fetchLimited('late', 5, 'b', 30_000)).toHaveLength(0)
    // The limit lifted: the limited fetch serves whatever it is asked.
    await db.query("UPDATE queues SET global_concurrency = NULL WHERE name = 'late'")
    expect(await store.fetchLimited('late', 5, 'b', 30_000)).toHaveLength(1)
  })

  it('a queue backoff overrides the process default (a retry due at once instead of within an hour)', async () => {
    const { db, store } = await setup()
    await db.query(
      "INSERT INTO queues (name, backoff_base_ms, backoff_max_ms, max_attempts) VALUES ('quick', 0, 0, 3)",
    )
    let runs = 0
    await f!.worker(
      {
        boom: {
          handler: () => {
            runs++
            throw new Error('boom')
          },
        },
      },
      { backoff: { baseMs: 3_600_000, maxMs: 3_600_000 }, queues: ['quick'] },
    )
    const { id } = await addJob(db, 'quick', { task: 'boom' })
    await waitFor('dead after 3 attempts', async () => (await store.get(id))?.state === 'dead', 30_000)
    expect(runs).toBe(3)
    expect((await store.get(id))?.maxAttempts).toBe(3)
  })

  it('routes a job that dies to the dead-letter queue, from a failed last attempt and from a stall', async () => {
    const { db, store } = await setup()
    await db.query("INSERT INTO queues (name, paused) VALUES ('dlq', true)")
    await db.query("INSERT INTO queues (name, dead_letter, max_attempts) VALUES ('main', 'dlq', 1)")
    await f!.worker(
      {
        boom: {
          handler: () => {
            throw new Error('boom')
          },
        },
      },
      { queues: ['main'] },
    )
    const failed = await addJob(db, 'main', { task: 'boom', payload: { order: 7 }, priority: 4 })
    // A stalled job on its last attempt: leased by a worker that died, its lease already expired.
    const stalled = await addJob(db, 'main', {
      task: 'gone',
      payload: { order: 8 },
      runAt: new Date(Date.now() + 3_600_000),
    })
    await db.query(
      `UPDATE jobs SET state = 'active', attempts = 1, lease = 1, locked_by = 'dead-worker',
              locked_until = now() - interval '1 second', started_at = now() WHERE id = $1`,
      [stalled.id],
    )
    await f!.sweeper(30_000, 20)
    const copyOf = async (id: string) =>
      (await db.query<{ id: string }>('SELECT id::text AS id FROM jobs WHERE dead_letter_of = $1', [id]))
        .rows[0]?.id
    await waitFor(
      'both copied',
      async () => (await copyOf(failed.id)) !== undefined && (await copyOf(stalled.id)) !== undefined,
      30_000,
    )
    expect((await store.get(failed.id))?.state).toBe('dead')
    expect((await store.get(stalled.id))?.state).toBe('dead')
    const a = (await store.get((await copyOf(failed.id))!))!
    expect(a).toMatchObject({
      queue: 'dlq',
      task: 'boom',
      payload: { order: 7 },
      priority: 4,
      state: 'waiting',
      attemptsMade: 0,
      deadLetterOf: failed.id,
    })
    expect(await store.get((await copyOf(stalled.id))!)).toMatchObject({
      queue: 'dlq',
      task: 'gone',
      payload: { order: 8 },
      deadLetterOf: stalled.id,
    })
    // One copy per death.
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE queue = 'dlq'")
    expect(rows[0]!.n).toBe(2)
  })
})

describe.each(backends())('queue policies, REST and SQL (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend)
  })
  afterAll(() => c.close())

  const db = () => c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
  const enqueue = (queue: string, body: unknown) => c.call('POST', `/jobs/queues/${queue}/jobs`, body)

  it('stores every setting, shows it, and refuses bad ones with a 4xx', async () => {
    expect((await c.call('PUT', '/jobs/queues/graveyard', {})).statusCode).toBe(201)
    const body = {
      globalConcurrency: 1,
      maxAttempts: 4,
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      retentionMs: 5000,
      deadRetentionMs: 60000,
      deadLetter: 'graveyard',
    }
    const res = await c.call('PUT', '/jobs/queues/settings', body)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject(body)
    expect((await c.call('GET', '/jobs/queues/settings')).json()).toMatchObject(body)
    const bad = async (b: unknown, status: number, name?: string) => {
      const r = await c.call('PUT', '/jobs/queues/settings', b)
      expect(r.statusCode).toBe(status)
      if (name) expect(r.json().invalidParams.map((p: { name: string }) => p.name)).toContain(name)
    }
    await bad({ deadLetter: 'no-such-queue' }, 422, 'deadLetter')
    await bad({ deadLetter: 'settings' }, 422, 'deadLetter')
    await bad({ backoffBaseMs: 2000, backoffMaxMs: 1000 }, 422, 'backoffBaseMs')
    await bad({ globalConcurrency: 0 }, 400)
    await bad({ concurrency: 0 }, 400)
    await bad({ maxAttempts: 1001 }, 400)
    await bad({ retentionMs: -1 }, 400)
    // A queue that is some queue's dead-letter queue cannot be deleted from under it.
    await expect(db().query("DELETE FROM queues WHERE name = 'graveyard'")).rejects.toThrow()
  })

  it("gives jobs the queue's max attempts unless they set their own: REST, addJob, addJobs and add_job()", async () => {
    await c.call('PUT', '/jobs/queues/attempts', { maxAttempts: 7 })
    await c.call('POST', '/jobs/queues/attempts/pause')
    const rest = (await enqueue('attempts', { task: 'noop' })).json()
    const own = (await enqueue('attempts', { task: 'noop', maxAttempts: 2 })).json()
    const one = await addJob(db(), 'attempts', { task: 'noop' })
    const batch = await addJobs(db(), 'attempts', [{ task: 'noop' }, { task: 'noop', maxAttempts: 3 }])
    const { rows } = await db().query<{ id: string }>(
      "SELECT id::text AS id FROM add_job('attempts', 'noop')",
    )
    const max = async (id: string) => (await c.job(id)).maxAttempts
    expect(await max(rest.id)).toBe(7)
    expect(await max(own.id)).toBe(2)
    expect(await max(one.id)).toBe(7)
    expect(await max(batch[0]!.id)).toBe(7)
    expect(await max(batch[1]!.id)).toBe(3)
    expect(await max(rows[0]!.id)).toBe(7)
    // Without a queue setting: 25, as before.
    expect(await max((await enqueue('default', { task: 'noop' })).json().id)).toBe(25)
  })

  it('throttles with preserve_run_at: a job added again keeps its first run time; replace moves it', async () => {
    await c.call('PUT', '/jobs/queues/throttle', {})
    const first = new Date(Date.now() + 60_000).toISOString()
    const later = new Date(Date.now() + 120_000).toISOString()
    const a = (
      await enqueue('throttle', {
        task: 'noop',
        key: 'digest',
        keyMode: 'preserve_run_at',
        runAt: first,
        payload: { n: 1 },
      })
    ).json()
    const b = (
      await enqueue('throttle', {
        task: 'noop',
        key: 'digest',
        keyMode: 'preserve_run_at',
        runAt: later,
        payload: { n: 2 },
      })
    ).json()
    expect(b).toMatchObject({ id: a.id, deduplicated: true, state: 'scheduled' })
    expect(await c.job(a.id)).toMatchObject({ runAt: first, payload: { n: 2 } })
    // The same from SQL.
    await db().query(
      "SELECT * FROM add_job('throttle', 'noop', '{\"n\":3}'::jsonb, run_at => now() + interval '1 hour', key => 'digest', key_mode => 'preserve_run_at')",
    )
    expect(await c.job(a.id)).toMatchObject({ runAt: first, payload: { n: 3 } })
    // replace (debounce) moves the run time.
    await enqueue('throttle', { task: 'noop', key: 'digest', keyMode: 'replace', runAt: later })
    expect((await c.job(a.id)).runAt).toBe(later)
    const bad = await enqueue('throttle', { task: 'noop', key: 'x', keyMode: 'preserve' })
    expect(bad.statusCode).toBe(400)
    await expect(
      db().query("SELECT * FROM add_job('throttle', 'noop', key => 'x', key_mode => 'nope')"),
    ).rejects.toThrow(/key_mode must be/)
  })

  it("prunes each queue's finished jobs after its own retention", async () => {
    await c.call('PUT', '/jobs/queues/short-lived', { retentionMs: 0 })
    await c.call('PUT', '/jobs/queues/kept', {})
    const gone = (await enqueue('short-lived', { task: 'noop' })).json()
    const kept = (await enqueue('kept', { task: 'noop' })).json()
    await waitFor(
      'short-lived job pruned',
      async () => (await c.call('GET', `/jobs/jobs/${gone.id}`)).statusCode === 404,
      60_000,
    )
    await waitFor('kept job completed', async () => (await c.job(kept.id)).state === 'completed', 30_000)
    // A prune ran after the other queue's job completed, and kept it.
    const gone2 = (await enqueue('short-lived', { task: 'noop' })).json()
    await waitFor(
      'second short-lived job pruned',
      async () => (await c.call('GET', `/jobs/jobs/${gone2.id}`)).statusCode === 404,
      60_000,
    )
    expect((await c.job(kept.id)).state).toBe('completed')
  })
})
