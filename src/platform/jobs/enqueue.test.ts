/**
 * How an enqueue wakes the workers: into an idle queue its NOTIFY rides on
 * its own commit (no second statement, so a worker fetches one round trip
 * sooner); while wake-ups are in flight they are coalesced, and the last
 * commit of a burst is always followed by one.
 */
import { describe, expect, it } from 'vitest'
import type { Db } from '../db/port.js'
import { backends, testDb } from '../testing/backends.js'
import { waitFor } from '../testing/wait.js'
import { addJob, addJobs, channelOf } from './enqueue.js'
import { migrateJobs } from './worker-fixture.js'

/** `db`, counting the statements that send a NOTIFY of their own. */
function counting(db: Db): Db & { notifyStatements: number } {
  const out = Object.create(db) as Db & { notifyStatements: number }
  out.notifyStatements = 0
  out.query = (text, params) => {
    if (/^SELECT pg_notify/.test(text)) out.notifyStatements++
    return db.query(text, params)
  }
  return out
}

describe.each(backends())('enqueue wake-ups (%s)', (backend) => {
  it('wakes an idle queue in the enqueue’s own commit, and never loses the last wake-up of a burst', async () => {
    const real = await testDb(backend)
    await migrateJobs(real)
    const heard: string[] = []
    const unlisten = await real.listen(channelOf(real), (p) => heard.push(p))
    try {
      const db = counting(real)
      await addJob(db, 'default', { task: 'noop' })
      await waitFor('the wake-up of the single enqueue', () => heard.length === 1)
      await addJobs(db, 'default', [{ task: 'noop' }, { task: 'noop' }])
      await waitFor('the wake-up of the batch', () => heard.length === 2)
      expect(db.notifyStatements).toBe(0)
      expect(heard).toEqual(['default', 'default'])

      // A burst: wake-ups overlap; whatever is coalesced, one comes after the last commit.
      let lastCommit = 0
      let lastHeardAt = 0
      const unlistenLate = await real.listen(channelOf(real), () => {
        lastHeardAt = Date.now()
      })
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          await addJob(db, 'default', { task: 'noop' })
          lastCommit = Date.now()
        }),
      )
      await waitFor('a wake-up after the last commit of the burst', () => lastHeardAt >= lastCommit)
      await unlistenLate()
    } finally {
      await unlisten()
    }
  })
})

describe.each(backends())('enqueue into a queue (%s)', (backend) => {
  it('refuses an unknown queue (one job, a batch, from SQL) and inserts nothing', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    const unknown = { code: 'JOBS_UNKNOWN_QUEUE', status: 404 }
    await expect(addJob(db, 'nope', { task: 'noop' })).rejects.toMatchObject(unknown)
    await expect(addJobs(db, 'nope', [{ task: 'noop' }, { task: 'noop' }])).rejects.toMatchObject(unknown)
    await expect(addJobs(db, 'nope', [{ task: 'noop', key: 'k' }])).rejects.toMatchObject(unknown)
    await expect(db.query("SELECT * FROM add_job('nope', 'noop')")).rejects.toMatchObject({ code: '23503' })
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')
    expect(rows[0]!.n).toBe(0)
  })

  it('keeps a queue that has jobs: deleting or renaming it is refused, an empty one may go', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    await db.query("INSERT INTO queues (name) VALUES ('busy'), ('empty')")
    await addJobs(db, 'busy', [{ task: 'noop' }])
    await expect(db.query("DELETE FROM queues WHERE name = 'busy'")).rejects.toMatchObject({ code: '23503' })
    await expect(db.query("UPDATE queues SET name = 'moved' WHERE name = 'busy'")).rejects.toMatchObject({
      code: '23503',
    })
    // Changing anything but the name is not guarded.
    await db.query("UPDATE queues SET paused = true WHERE name = 'busy'")
    await db.query("DELETE FROM queues WHERE name = 'empty'")
    const { rows } = await db.query<{ name: string }>('SELECT name FROM queues ORDER BY name')
    expect(rows.map((r) => r.name)).toEqual(['busy', 'default'])
  })
})

describe.each(backends())('batch enqueue (%s)', (backend) => {
  it('stores every field of every job of a batch as given, in order', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    const runAt = new Date(Date.now() + 60_000)
    const odd = { text: 'quote " backslash \\ tab \t newline \n é 😀 \\u0000 literal', n: [1, 2.5, null] }
    const specs = [
      {
        task: 'a',
        payload: odd,
        priority: -7,
        runAt,
        maxAttempts: 3,
        groupKey: 'tenant "x"',
        timeoutMs: 1234,
      },
      { task: 'b', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      { task: 'c', payload: [1, 'two'] },
    ]
    const added = await addJobs(db, 'default', specs)
    expect(added.map((a) => a.state)).toEqual(['scheduled', 'waiting', 'waiting'])
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT id::text AS id, task, payload, priority, run_at, max_attempts, group_key, timeout_ms, traceparent
         FROM jobs ORDER BY id`,
    )
    expect(rows.map((r) => r.id)).toEqual(added.map((a) => a.id))
    expect(rows[0]).toMatchObject({
      task: 'a',
      payload: odd,
      priority: -7,
      max_attempts: 3,
      group_key: 'tenant "x"',
    })
    expect(rows[0]!.timeout_ms).toBe(1234)
    expect(new Date(rows[0]!.run_at as string).getTime()).toBe(runAt.getTime())
    expect(rows[1]).toMatchObject({ task: 'b', payload: {}, priority: 0, max_attempts: 25, group_key: null })
    expect(rows[1]!.traceparent).toBe(specs[1]!.traceparent)
    expect(rows[2]).toMatchObject({ task: 'c', payload: [1, 'two'], timeout_ms: null, traceparent: null })
  })

  it('refuses U+0000, which PostgreSQL cannot store, as a 422 naming the field', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    const invalid = (name: string) => ({
      status: 422,
      code: 'JOBS_INVALID',
      message: expect.stringMatching(new RegExp(`^${name} `)),
    })
    await expect(addJobs(db, 'default', [{ task: 't', payload: { s: 'a\u0000b' } }])).rejects.toMatchObject(
      invalid('payload'),
    )
    await expect(addJob(db, 'default', { task: 't', payload: ['\u0000'] })).rejects.toMatchObject(
      invalid('payload'),
    )
    await expect(addJobs(db, 'default', [{ task: 't', groupKey: 'a\u0000' }])).rejects.toMatchObject(
      invalid('groupKey'),
    )
    await expect(addJob(db, 'default', { task: 't', key: '\u0000' })).rejects.toMatchObject(invalid('key'))
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')
    expect(rows[0]!.n).toBe(0)
  })
})
