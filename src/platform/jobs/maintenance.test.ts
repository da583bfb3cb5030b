/**
 * Maintenance on each backend: the jobs table is vacuumed once its dead rows
 * reach the threshold (and not before, and never with 0), without touching a
 * live job; pruning deletes only finished jobs past their retention.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../db/port.js'
import { Registry } from '../telemetry/metrics.js'
import { backends, testDb } from '../testing/backends.js'
import { waitFor } from '../testing/wait.js'
import { addJobs } from './enqueue.js'
import { Maintenance } from './maintenance.js'
import { JobMetrics } from './metrics.js'
import { migrateJobs, silentLog } from './worker-fixture.js'

function maintenance(db: Db, metrics: JobMetrics, vacuumDeadRows: number): Maintenance {
  return new Maintenance({
    db,
    log: silentLog,
    metrics,
    leaseMs: 30_000,
    retentionMs: 60_000,
    deadRetentionMs: 60_000,
    vacuumDeadRows,
  })
}

/**
 * A statistic of the schema's jobs table, summed over its partitions (sql/0010: jobs_open, jobs_done;
 * the partitioned parent has no rows of its own): its dead rows, or how often it was vacuumed by hand.
 */
async function stat(db: Db, column: 'n_dead_tup' | 'vacuum_count'): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT coalesce(sum(${column}), 0)::text AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('jobs_open', 'jobs_done')`,
    [db.schema],
  )
  return Number(rows[0]?.n ?? 0)
}

describe.each(backends())('maintenance (%s)', (backend) => {
  let db: Db
  beforeAll(async () => {
    db = await testDb(backend)
    await migrateJobs(db)
  }, 60_000)

  it('vacuums the jobs table once its dead rows reach the threshold, and only then', async () => {
    const metrics = new JobMetrics(new Registry(), db)
    await addJobs(
      db,
      'default',
      Array.from({ length: 300 }, (_, i) => ({ task: 't', payload: { i } })),
    )
    // What a worker does to each job: two updates, two dead versions per job.
    await db.query("UPDATE jobs SET state = 'active', attempts = 1")
    await db.query("UPDATE jobs SET state = 'completed', finished_at = now() WHERE id % 2 = 0")
    await db.query("UPDATE jobs SET state = 'waiting' WHERE state = 'active'")

    // The statistics lag by up to a second; until then neither threshold is reached.
    await waitFor(
      'the statistics to count the dead rows',
      async () => (await stat(db, 'n_dead_tup')) >= 600,
      15_000,
    )
    expect(await maintenance(db, metrics, 0).vacuum()).toBe(false)
    expect(await maintenance(db, metrics, 1_000_000).vacuum()).toBe(false)
    expect(metrics.vacuums).toBe(0)

    expect(await maintenance(db, metrics, 500).vacuum()).toBe(true)
    expect(metrics.vacuums).toBe(1)
    // A VACUUM of that table ran (how many rows it could remove depends on other sessions' snapshots).
    expect(await stat(db, 'vacuum_count')).toBe(1)
    // Nothing live was touched.
    const { rows } = await db.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM jobs GROUP BY state ORDER BY state',
    )
    expect(rows).toEqual([
      { state: 'completed', n: 150 },
      { state: 'waiting', n: 150 },
    ])
  }, 30_000)

  it('prunes finished jobs past their retention and nothing else', async () => {
    const metrics = new JobMetrics(new Registry(), db)
    await db.query('DELETE FROM jobs')
    await addJobs(
      db,
      'default',
      Array.from({ length: 6 }, () => ({ task: 't' })),
    )
    const { rows: ids } = await db.query<{ id: string }>('SELECT id::text AS id FROM jobs ORDER BY id')
    const [old, fresh, oldDead, oldCancelled, waiting, active] = ids.map((r) => r.id)
    await db.query(
      `UPDATE jobs SET state = CASE id
         WHEN $1::bigint THEN 'completed' WHEN $2::bigint THEN 'completed' WHEN $3::bigint THEN 'dead'
         WHEN $4::bigint THEN 'cancelled' WHEN $5::bigint THEN 'waiting' ELSE 'active' END,
         finished_at = CASE WHEN id = $2::bigint THEN now() WHEN id IN ($1::bigint, $3::bigint, $4::bigint)
           THEN now() - interval '2 minutes' END`,
      [old, fresh, oldDead, oldCancelled, waiting],
    )
    expect(await maintenance(db, metrics, 0).prune()).toBe(3)
    const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM jobs ORDER BY id')
    expect(rows.map((r) => r.id)).toEqual([fresh, waiting, active])
  })
})
