/**
 * A completion moves the job from `jobs_open` to `jobs_done` (sql/0010): what
 * a statement that was waiting on that job's row sees once the completion
 * commits. Each case holds one side's transaction open, starts the other,
 * waits until PostgreSQL shows it blocked on the row lock, then commits:
 * - a child added while its parent completes (add_job() holds the parent's
 *   row): the completion, which waited for it, still unblocks the child (its
 *   statement's snapshot predates the child's dependency row; it stayed
 *   `blocked` for good before complete_children());
 * - a cancel waiting on a completing job answers "completed" (409), not
 *   "no such job" (the row it waited for was deleted, not updated);
 * - a heartbeat waiting on it reports the job as no longer held, without an
 *   error (a row moved by an UPDATE would fail it with SQLSTATE 40001).
 * PostgreSQL only: PGlite runs one statement at a time, nothing waits there.
 */
import { describe, expect, it } from 'vitest'
import type { Db, Queryable } from '../../platform/db/port.js'
import { addJob } from '../../platform/jobs/enqueue.js'
import { WorkerStore } from '../../platform/jobs/worker.store.js'
import { migrateJobs } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { JobsStore } from './jobs.store.js'

/**
 * Run `fn` in a transaction that commits only when `commit` is called; `blocking()` resolves once
 * another backend waits on a lock this transaction holds.
 */
function heldTx(db: Db, fn: (tx: Queryable) => Promise<unknown>) {
  let commit!: () => void
  const gate = new Promise<void>((r) => {
    commit = r
  })
  let ready!: (pid: number) => void
  const started = new Promise<number>((r) => {
    ready = r
  })
  const done = db.tx(async (tx) => {
    const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    await fn(tx)
    ready(rows[0]!.pid)
    await gate
  })
  const blocking = async () => {
    const pid = await started
    await waitFor('another statement waiting on this transaction', async () => {
      const { rows } = await db.query(
        'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
        [pid],
      )
      return rows.length > 0
    })
  }
  return { started, blocking, commit, done }
}

/** A migrated schema with one active job (fetched by a worker), its lease and the stores. */
async function activeJob(task = 'parent') {
  const db = await testDb('services')
  await migrateJobs(db)
  const store = new WorkerStore(db)
  const { id } = await addJob(db, 'default', { task })
  const [job] = await store.fetch('default', 1, 'w1', 30_000)
  expect(job?.id).toBe(id)
  return { db, store, job: job! }
}

describe.skipIf(!backends().includes('services'))(
  'statements waiting on a job whose completion commits',
  () => {
    it('a child added while its parent completes is unblocked by that completion', async () => {
      const { db, store, job } = await activeJob()
      let child = ''
      const adding = heldTx(db, async (tx) => {
        child = (await addJob(tx, 'default', { task: 'child', dependsOn: [job.id] }, { schema: db.schema }))
          .id
      })
      await adding.started
      const completing = store.complete([{ id: job.id, lease: job.lease, result: null }])
      await adding.blocking()
      adding.commit()
      await adding.done
      expect([...(await completing)]).toEqual([job.id])
      const { rows } = await db.query<{ state: string; pending_parents: number }>(
        'SELECT state, pending_parents FROM jobs WHERE id = $1',
        [child],
      )
      expect(rows).toEqual([{ state: 'waiting', pending_parents: 0 }])
    })

    it('a cancel waiting on a completing job answers that it completed', async () => {
      const { db, store, job } = await activeJob()
      const completing = heldTx(db, (tx) =>
        store.complete([{ id: job.id, lease: job.lease, result: null }], tx),
      )
      await completing.started
      const cancelling = new JobsStore(db).cancel(job.id)
      await completing.blocking()
      completing.commit()
      await completing.done
      expect(await cancelling).toEqual({ before: 'completed', cancelled: false })
    })

    it('a heartbeat waiting on a completing job reports it lost, without an error', async () => {
      const { db, store, job } = await activeJob()
      const completing = heldTx(db, (tx) =>
        store.complete([{ id: job.id, lease: job.lease, result: null }], tx),
      )
      await completing.started
      const beating = store.heartbeat([job.id], [job.lease], 30_000)
      await completing.blocking()
      completing.commit()
      await completing.done
      expect([...(await beating)]).toEqual([])
      expect(await new JobsStore(db).state(job.id)).toBe('completed')
    })
  },
)
