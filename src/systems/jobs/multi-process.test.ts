/**
 * Nothing lost, nothing run twice concurrently: 100,000 jobs over three
 * worker processes on one PostgreSQL, with one process killed (SIGKILL) and
 * restarted several times during the run. Every job completes; the
 * transactional handler's effect appears exactly once per job, the plain
 * handler's at least once (duplicates only from jobs in flight at a kill).
 * Then a graceful stop of every process leaves no job locked.
 * Runs with TEST_SERVICES=1 only: PGlite is one process's database.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../../platform/config.js'
import { backends, testDb, uniqueId } from '../../platform/testing/backends.js'
import { ROOT } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import { addJobs } from './enqueue.js'
import { migrateJobs } from './worker-fixture.js'

const JOBS = 100_000
const ENTRY = 'src/systems/jobs/testing-worker-main.ts'

interface Proc {
  child: ChildProcess
  exited: Promise<number | string>
}

async function startWorker(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)))
  let gone = false
  void exited.then(() => {
    gone = true
  })
  await waitFor(`worker ready (${err})`, () => gone || out.includes('worker ready'), 60_000)
  if (gone) throw new Error(`worker exited early: ${err}`)
  return { child, exited }
}

describe.skipIf(!backends().includes('services'))(
  '100,000 jobs over three worker processes, one killed repeatedly',
  () => {
    it('completes every job; effects exactly once (transactional) or at least once (plain); nothing locked', async () => {
      const id = uniqueId()
      const prefix = `t${id}_`
      const db = await testDb('services', `${prefix}jobs`)
      await migrateJobs(db)
      await db.query('CREATE TABLE effects_tx (job_id bigint NOT NULL)')
      await db.query('CREATE TABLE effects_plain (job_id bigint NOT NULL)')
      const env = {
        DATABASE_URL: testServiceUrls().databaseUrl,
        DB_SCHEMA_PREFIX: prefix,
        DB_POOL_MAX: '8',
        LOG_LEVEL: 'error',
        JOBS_CONCURRENCY: '40',
        JOBS_QUEUE_CONCURRENCY: '40',
        JOBS_LEASE_MS: '2000',
        JOBS_PREFETCH: '10',
        JOBS_POLL_MS: '250',
        JOBS_SHUTDOWN_GRACE_MS: '5000',
      }
      const procs = await Promise.all([startWorker(env), startWorker(env), startWorker(env)])
      // Enqueued while the workers run, in batches, as an application would.
      const enqueue = (async () => {
        for (let i = 0; i < JOBS; i += 5_000)
          await addJobs(
            db,
            'default',
            Array.from({ length: 5_000 }, (_, j) => ({
              task: (i + j) % 2 === 0 ? 'effect-tx' : 'effect-plain',
            })),
          )
      })()
      const done = async () =>
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE state = 'completed'"))
          .rows[0]!.n
      let kills = 0
      for (; kills < 4; kills++) {
        await new Promise((r) => setTimeout(r, 2_500))
        const victim = kills % 3
        procs[victim]!.child.kill('SIGKILL')
        await procs[victim]!.exited
        procs[victim] = await startWorker(env)
      }
      await enqueue
      await waitFor('every job completed', async () => (await done()) === JOBS, 150_000)
      const stats = (
        await db.query<{
          dead: number
          stalls: number
          tx: number
          tx_distinct: number
          plain: number
          plain_distinct: number
        }>(
          `SELECT (SELECT count(*)::int FROM jobs WHERE state <> 'completed') AS dead,
                (SELECT coalesce(sum(stalls), 0)::int FROM jobs) AS stalls,
                (SELECT count(*)::int FROM effects_tx) AS tx,
                (SELECT count(DISTINCT job_id)::int FROM effects_tx) AS tx_distinct,
                (SELECT count(*)::int FROM effects_plain) AS plain,
                (SELECT count(DISTINCT job_id)::int FROM effects_plain) AS plain_distinct`,
        )
      ).rows[0]!
      expect(stats.dead).toBe(0)
      expect(stats.tx).toBe(JOBS / 2)
      expect(stats.tx_distinct).toBe(JOBS / 2)
      expect(stats.plain_distinct).toBe(JOBS / 2)
      // Each duplicate is a job that was in flight in a killed process (at most its concurrency per
      // kill); each stall a job it held leased: running (JOBS_CONCURRENCY 40) or prefetched (10).
      expect(stats.plain - JOBS / 2).toBeLessThanOrEqual(kills * 40)
      expect(stats.stalls).toBeLessThanOrEqual(kills * (40 + 10))
      for (const p of procs) p.child.kill('SIGTERM')
      expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0])
      const locked = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM jobs WHERE state = 'active' OR locked_by IS NOT NULL",
      )
      expect(locked.rows[0]!.n).toBe(0)
    }, 240_000)
  },
)
