/**
 * A global concurrency limit holds across real processes: three worker
 * processes on one PostgreSQL drain a serial queue (globalConcurrency 1) of
 * jobs that count themselves while they run, in a table row each process
 * updates: the highest count ever seen is 1, and every job ran. Then a
 * queue limited to 3 is never seen above 3. Each process's own per-process
 * concurrency (8) would otherwise run many at once.
 * Runs with TEST_SERVICES=1 only: PGlite is one process's database.
 */
import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../config.js'
import { backends, testDb, uniqueId } from '../testing/backends.js'
import { waitFor } from '../testing/wait.js'
import { addJobs } from './enqueue.js'
import { startWorkerProcess, type WorkerProc } from './testing-processes.js'
import { migrateJobs } from './worker-fixture.js'

describe.skipIf(!backends().includes('services'))('a global concurrency limit across three processes', () => {
  it('a serial queue never runs two jobs at once; a limit of 3 never runs four', async () => {
    const prefix = `t${uniqueId()}_`
    const db = await testDb('services', `${prefix}jobs`)
    await migrateJobs(db)
    await db.query('CREATE TABLE overlap (running int NOT NULL, peak int NOT NULL, runs int NOT NULL)')
    await db.query('INSERT INTO overlap VALUES (0, 0, 0)')
    await db.query(
      "INSERT INTO queues (name, global_concurrency, concurrency) VALUES ('serial', 1, 8), ('three', 3, 8)",
    )
    const env = {
      DATABASE_URL: testServiceUrls().databaseUrl,
      DB_SCHEMA_PREFIX: prefix,
      DB_POOL_MAX: '4',
      LOG_LEVEL: 'error',
      JOBS_CONCURRENCY: '16',
      JOBS_PREFETCH: '10',
      JOBS_POLL_MS: '200',
    }
    const procs: WorkerProc[] = []
    try {
      for (let i = 0; i < 3; i++) procs.push(await startWorkerProcess(env))
      const peak = async () =>
        (await db.query<{ peak: number; runs: number }>('SELECT peak, runs FROM overlap')).rows[0]!
      const finished = async (queue: string) =>
        (
          await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM jobs WHERE queue = $1 AND state <> 'completed'",
            [queue],
          )
        ).rows[0]!.n === 0

      await addJobs(
        db,
        'serial',
        Array.from({ length: 60 }, () => ({ task: 'overlap', payload: { ms: 10 } })),
      )
      await waitFor('the serial queue drained', () => finished('serial'), 120_000)
      expect(await peak()).toEqual({ peak: 1, runs: 60 })

      await db.query('UPDATE overlap SET peak = 0, runs = 0')
      await addJobs(
        db,
        'three',
        Array.from({ length: 90 }, () => ({ task: 'overlap', payload: { ms: 10 } })),
      )
      await waitFor('the queue limited to 3 drained', () => finished('three'), 120_000)
      const p = await peak()
      expect(p.runs).toBe(90)
      expect(p.peak).toBeLessThanOrEqual(3)
      expect(p.peak).toBeGreaterThanOrEqual(1)

      for (const proc of procs) proc.child.kill('SIGTERM')
      expect(await Promise.all(procs.map((x) => x.exited))).toEqual([0, 0, 0])
    } finally {
      for (const proc of procs)
        if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
    }
  }, 300_000)
})
