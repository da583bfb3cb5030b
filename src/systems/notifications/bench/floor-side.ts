/**
 * The floor of the notifications benchmark: the same deliveries without the system. A trigger is
 * one `addJobs` call (platform/jobs, straight on the database: no HTTP, no trigger row, no
 * workflow, preferences or templates) of two jobs; a JobWorker of the deliveries queue's
 * concurrency (16) runs them: the in-app job inserts one row into a bare inbox table and reports
 * it (no live stream), the webhook job POSTs `{"seq":"<n>"}` to the same receiver (unsigned). In
 * this process (the load generator's core), on the same PostgreSQL, in a schema of its own dropped
 * at the end.
 */
import { randomBytes } from 'node:crypto'
import type { StartedServer } from '../../../../bench/types.js'
import { testServiceUrls } from '../../../platform/config.js'
import { openPg } from '../../../platform/db/pg.js'
import { addJobs } from '../../../platform/jobs/enqueue.js'
import { migrateJobs, WorkerFixture } from '../../../platform/jobs/worker-fixture.js'
import { startReceiver } from './receiver.js'
import { Tracker, trackers } from './tracker.js'

const QUEUE = 'floor'

/** Start the floor: its schema, worker and receiver; stopping it drops the schema. */
export async function startFloor(): Promise<StartedServer> {
  const tracker = new Tracker()
  const receiver = await startReceiver(tracker)
  const schema = `notifybench_floor_${randomBytes(3).toString('hex')}`
  const root = await openPg(testServiceUrls().databaseUrl, 'public', { max: 9 })
  await root.query(`CREATE SCHEMA "${schema}"`)
  const db = root.withSchema(schema)
  await migrateJobs(db)
  await db.query(`INSERT INTO queues (name) VALUES ('${QUEUE}')`)
  await db.query(
    'CREATE TABLE inbox (seq bigint PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  )
  const fixture = new WorkerFixture(db)
  await fixture.worker(
    {
      'floor.in_app': {
        handler: async (p) => {
          const seq = (p as { seq: number }).seq
          await db.query('INSERT INTO inbox (seq, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
            seq,
            String(seq),
          ])
          tracker.inApp(seq)
        },
      },
      'floor.webhook': {
        handler: async (p) => {
          const res = await fetch(receiver.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ seq: String((p as { seq: number }).seq) }),
          })
          await res.arrayBuffer()
          if (!res.ok) throw new Error(`webhook: ${res.status}`)
        },
      },
    },
    { concurrency: 16, queueConcurrency: 16, fetchBatch: 500, prefetch: 10, queues: [QUEUE], pollMs: 1_000 },
  )
  const server: StartedServer = {
    url: `in-process, schema ${schema}`,
    pid: -1,
    stop: async () => {
      await fixture.close()
      await receiver.close()
      await root.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await root.close()
    },
  }
  const trigger = async (seq: number) => {
    await addJobs(db, QUEUE, [
      { task: 'floor.in_app', payload: { seq } },
      { task: 'floor.webhook', payload: { seq } },
    ])
  }
  trackers.set(server, { tracker, trigger })
  return server
}
