/**
 * The three queues the jobs benchmark runs side by side: Blueprints' own side here, the peers in
 * peers.ts, all behind the interface of side.ts. Blueprints runs a pool of 9 and the worker's
 * dedicated fetch connection, plus its listener, at its defaults.
 */

import { openPg } from '../../../platform/db/pg.js'
import type { Db } from '../../../platform/db/port.js'
import { addJob, addJobs } from '../../../platform/jobs/enqueue.js'
import { migrateJobs, WorkerFixture } from '../../../platform/jobs/worker-fixture.js'
import { GraphileSide, PgBossSide } from './peers.js'
import { dropSchema, POLL_MS, type QueueSide, type SideName, type SideOptions, url } from './side.js'

export type { QueueSide, SideName, SideOptions } from './side.js'

/**
 * Blueprints: addJob/addJobs, one JobWorker and the maintenance, at the shipped defaults (prefetch 10,
 * growing toward the fetch batch of 500 while fetches come back full).
 */
class BlueprintsSide implements QueueSide {
  readonly name = 'blueprints'
  private root!: Db
  private db!: Db
  private fixture!: WorkerFixture
  private onJob: () => void = () => {}
  private started = false

  constructor(readonly schema: string) {}

  async init(): Promise<this> {
    this.root = await openPg(url(this.schema), 'public', { max: 9 })
    this.db = this.root.withSchema(this.schema)
    await migrateJobs(this.db)
    await this.db.query("INSERT INTO queues (name) VALUES ('enq'), ('work')")
    this.fixture = new WorkerFixture(this.db)
    // What every process of the system runs beside its workers: the stalled-job sweep, pruning, and the
    // VACUUM of the jobs table once 10,000 dead rows pile up (vacuum.ts), at the shipped defaults.
    await this.fixture.sweeper(30_000, 5_000)
    return this
  }

  async addOne(): Promise<void> {
    await addJob(this.db, 'enq', { task: 'noop' })
  }

  async addMany(n: number): Promise<void> {
    await addJobs(
      this.db,
      'enq',
      Array.from({ length: n }, () => ({ task: 'noop' })),
    )
  }

  async fill(n: number): Promise<void> {
    await addJobs(
      this.db,
      'work',
      Array.from({ length: n }, () => ({ task: 'noop' })),
    )
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.onJob = onJob
    if (this.started) return
    this.started = true
    await this.fixture.worker(
      { noop: { handler: () => this.onJob() } },
      {
        concurrency: c,
        queueConcurrency: c,
        fetchBatch: 500,
        prefetch: 10,
        queues: ['work'],
        pollMs: POLL_MS,
      },
    )
  }

  async close(): Promise<void> {
    await this.fixture?.close()
    await this.root?.close()
    await dropSchema(this.schema)
  }
}

/** A side of `name` in a fresh schema. */
export function createSide(name: SideName, schema: string, o: SideOptions = {}): Promise<QueueSide> {
  if (name === 'blueprints') return new BlueprintsSide(schema).init()
  if (name === 'graphile-worker') return new GraphileSide(schema, o).init()
  return new PgBossSide(schema, o).init()
}

/**
 * Check that the side's workers are woken by NOTIFY before anything is
 * measured: three jobs into the idle queue must each start well within the
 * fallback poll (10 s). A side that polls by design (pg-boss) only has to
 * pick them up. Throws, failing the subject, when a pickup is late.
 */
export async function checkWakeUps(side: QueueSide, c: number, listens: boolean): Promise<number[]> {
  // 3 s: far below the 10 s poll, with room for a machine loaded by other work (1 s failed there).
  const limitMs = listens ? 3_000 : POLL_MS
  const took: number[] = []
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50))
    let done!: () => void
    const ran = new Promise<void>((r) => {
      done = r
    })
    await side.workers(c, () => done())
    const t0 = performance.now()
    await side.fill(1)
    const late = new Promise<'late'>((r) => setTimeout(() => r('late'), limitMs).unref())
    if ((await Promise.race([ran, late])) === 'late')
      throw new Error(
        `${side.name}: a job enqueued into an idle queue did not start within ${limitMs} ms` +
          (listens ? ': its LISTEN/NOTIFY wake-up is not working' : ''),
      )
    took.push(performance.now() - t0)
  }
  if (side instanceof GraphileSide && side.notifications === 0)
    throw new Error('graphile-worker: its listening connection received no NOTIFY')
  return took
}
