/**
 * An installation from before sql/0010 (one `jobs` table holding every job)
 * upgrades in place to the partitioned layout (`jobs_open`, `jobs_done`):
 * its completed jobs stay readable by the same ids through the API's store
 * (result, failed attempts, dependencies), listed and counted; its pending
 * jobs keep their keys; new jobs get ids after the old ones. On PGlite the
 * data folder is closed after the old layout was written and reopened to
 * upgrade it, as a restart with a newer version would.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { OUTBOX_MIGRATIONS } from '../../platform/bus/outbox.js'
import { migrate } from '../../platform/db/migrate.js'
import { openPglite } from '../../platform/db/pglite.js'
import type { Db } from '../../platform/db/port.js'
import { addJob } from '../../platform/jobs/enqueue.js'
import { JOBS_MIGRATIONS } from '../../platform/jobs/migrations.js'
import { migrateJobs } from '../../platform/jobs/worker-fixture.js'
import { type BackendName, backends, testDb } from '../../platform/testing/backends.js'
import { JobsStore } from './jobs.store.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** A folder holding the job tables' migrations up to 0009, the layout before the partitions. */
async function migrationsBefore0010(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobs-0009-'))
  dirs.push(dir)
  const src = fileURLToPath(JOBS_MIGRATIONS)
  for (const name of await readdir(src))
    if (name.endsWith('.sql') && name < '0010') await cp(path.join(src, name), path.join(dir, name))
  return dir
}

/** A database of `backend` in the old layout, and how to reopen it (PGlite: the same data folder). */
async function oldLayout(backend: BackendName): Promise<{ db: Db; reopen: () => Promise<Db> }> {
  const old = await migrationsBefore0010()
  const sources = (db: Db) =>
    migrate(db, [
      { source: 'platform/outbox', dir: OUTBOX_MIGRATIONS },
      { source: 'system', dir: old },
    ])
  if (backend === 'services') {
    const db = await testDb(backend)
    await sources(db)
    return { db, reopen: async () => db }
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jobs-data-'))
  dirs.push(dataDir)
  const root = await openPglite(dataDir)
  await root.query('CREATE SCHEMA jobs')
  const db = root.withSchema('jobs')
  await sources(db)
  return {
    db,
    reopen: async () => {
      await root.close()
      return (await openPglite(dataDir)).withSchema('jobs')
    },
  }
}

describe.each(backends())('upgrade to the partitioned jobs table (%s)', (backend) => {
  it('keeps completed jobs readable by id, listed and counted, with their attempts and dependencies', async () => {
    const { db: before, reopen } = await oldLayout(backend)
    const { rows: relkind } = await before.query<{ relkind: string }>(
      "SELECT relkind FROM pg_class WHERE oid = 'jobs'::regclass",
    )
    expect(relkind[0]!.relkind).toBe('r')
    // Written as the old worker left them: a completed job that failed once first, a dead one,
    // a completed parent with a waiting child, and a pending job holding a key.
    const { rows } = await before.query<{ id: string }>(
      `INSERT INTO jobs (queue, task, payload, state, attempts, lease, result, finished_at, started_at, last_error)
       VALUES ('default', 'report', '{"n":1}', 'completed', 2, 2, '{"ok":true}', now(), now(), 'Error: first try'),
              ('default', 'report', '{"n":2}', 'dead', 3, 3, NULL, now(), now(), 'Error: boom'),
              ('default', 'parent', '{}', 'completed', 1, 1, '"p"', now(), now(), NULL),
              ('default', 'child', '{}', 'waiting', 0, 0, NULL, NULL, NULL, NULL)
       RETURNING id::text AS id`,
    )
    const [done, dead, parent, child] = rows.map((r) => r.id) as [string, string, string, string]
    await before.query(
      "INSERT INTO job_errors (job_id, attempt, worker, error) VALUES ($1, 1, 'w1', 'Error: first try')",
      [done],
    )
    await before.query('INSERT INTO job_deps (parent_id, child_id) VALUES ($1, $2)', [parent, child])
    await before.query('UPDATE jobs SET has_children = true WHERE id = $1', [parent])
    const keyed = await addJob(before, 'default', { task: 'digest', key: 'user-7' })

    const db = await reopen()
    await migrateJobs(db)
    const { rows: parts } = await db.query<{ relkind: string; open: string; done: string }>(
      `SELECT (SELECT relkind::text FROM pg_class WHERE oid = 'jobs'::regclass) AS relkind,
              (SELECT count(*)::text FROM jobs_open) AS open, (SELECT count(*)::text FROM jobs_done) AS done`,
    )
    expect(parts[0]).toEqual({ relkind: 'p', open: '3', done: '2' })

    const store = new JobsStore(db)
    expect(await store.get(done)).toMatchObject({
      id: done,
      state: 'completed',
      payload: { n: 1 },
      result: { ok: true },
      attemptsMade: 2,
      attempts: [{ attempt: 1, worker: 'w1', error: 'Error: first try' }],
    })
    expect(await store.get(dead)).toMatchObject({ state: 'dead', lastError: 'Error: boom' })
    expect(await store.get(child)).toMatchObject({ state: 'waiting', dependsOn: [parent] })
    const listed = await store.list({ state: 'completed', limit: 10 })
    expect(listed.jobs.map((j) => j.id)).toEqual([parent, done])
    expect((await store.counts('default')).get('default')).toMatchObject({
      completed: 2,
      dead: 1,
      waiting: 2,
    })

    // The key still dedupes against the pending job; a new job's id comes after every old one.
    expect(await addJob(db, 'default', { task: 'digest', key: 'user-7', keyMode: 'keep' })).toMatchObject({
      id: keyed.id,
      deduplicated: true,
    })
    const fresh = await addJob(db, 'default', { task: 'report' })
    expect(BigInt(fresh.id)).toBeGreaterThan(BigInt(keyed.id))
    if (backend === 'embedded') await db.close()
    // Building the old layout and migrating it opens PGlite twice: slow on a loaded machine.
  }, 120_000)
})
