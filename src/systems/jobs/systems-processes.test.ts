/**
 * SYSTEMS= across processes on one PostgreSQL: process A runs the jobs system and alpha, process B
 * runs beta only. Each process's worker fetches only the queues of the systems it runs, plus, in A
 * (where the jobs system runs), the queues no system owns: every alpha and unowned job is run by A,
 * every beta job by B, and no job fails for want of a handler. All jobs are added through A's API,
 * beta's too (checked against beta's tasks, which B recorded at its boot). Real server processes
 * (testing-systems-main.ts), so TEST_SERVICES=1 only: PGlite is one process's database.
 */
import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../../platform/config.js'
import { backends, testDb, uniqueId } from '../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'

const ENTRY = 'src/systems/jobs/testing-systems-main.ts'
const PER_QUEUE = 20

describe.skipIf(!backends().includes('services'))('SYSTEMS= in two processes sharing the job tables', () => {
  it('each process runs only its own systems’ queues (and the unowned ones where jobs runs)', async () => {
    const prefix = `t${uniqueId()}_`
    const env = {
      DATABASE_URL: testServiceUrls().databaseUrl,
      DB_SCHEMA_PREFIX: prefix,
      DB_POOL_MAX: '4',
      LOG_LEVEL: 'error',
      JOBS_POLL_MS: '250',
    }
    const procs: ServerProcess[] = []
    try {
      // B first: the job tables are migrated once, and beta's tasks are recorded before A takes its jobs.
      const b = await startServer({ entry: ENTRY, env: { ...env, SYSTEMS: 'beta' }, timeoutMs: 180_000 })
      procs.push(b)
      const a = await startServer({
        entry: ENTRY,
        env: { ...env, SYSTEMS: 'jobs,alpha' },
        timeoutMs: 180_000,
      })
      procs.push(a)

      const ids: Record<string, string[]> = { 'alpha.work': [], 'beta.work': [], default: [] }
      const taskOf: Record<string, string> = {
        'alpha.work': 'alpha.whoami',
        'beta.work': 'beta.whoami',
        default: 'whoami',
      }
      for (const queue of Object.keys(ids)) {
        const res = await fetch(`${a.url}/jobs/queues/${queue}/jobs/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jobs: Array.from({ length: PER_QUEUE }, () => ({ task: taskOf[queue] })) }),
        })
        expect(res.status, await res.clone().text()).toBe(201)
        ids[queue] = ((await res.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)
      }
      // A job for a task the owner does not have is refused, not left to die in B's worker.
      const wrong = await fetch(`${a.url}/jobs/queues/beta.work/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task: 'alpha.whoami' }),
      })
      expect(wrong.status).toBe(422)

      const db = await testDb('services', `${prefix}jobs`)
      const all = Object.values(ids).flat()
      await waitFor(
        `all ${all.length} jobs completed`,
        async () => {
          const { rows } = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM jobs WHERE id = ANY ($1::bigint[]) AND state = 'completed'",
            [all],
          )
          return rows[0]!.n === all.length
        },
        180_000,
      )
      const { rows } = await db.query<{ id: string; queue: string; pid: number }>(
        "SELECT id::text, queue, (result->>'pid')::int AS pid FROM jobs WHERE id = ANY ($1::bigint[])",
        [all],
      )
      const pidsOf = (queue: string) => [...new Set(rows.filter((r) => r.queue === queue).map((r) => r.pid))]
      expect(pidsOf('alpha.work')).toEqual([a.child.pid])
      expect(pidsOf('default')).toEqual([a.child.pid])
      expect(pidsOf('beta.work')).toEqual([b.child.pid])
      const errors = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM job_errors WHERE job_id = ANY ($1::bigint[])',
        [all],
      )
      expect(errors.rows[0]!.n).toBe(0)
    } finally {
      for (const p of procs) p.kill('SIGTERM')
      await Promise.all(procs.map((p) => p.exited))
    }
  }, 600_000)
})
