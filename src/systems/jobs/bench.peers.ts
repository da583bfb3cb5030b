/**
 * The three job queues of the benchmark, driven in process against one
 * PostgreSQL, each in its own schema: Blueprints (addJob/addJobs and the
 * JobWorker), graphile-worker 0.16 (addJob, SQL add_jobs, a runner per
 * concurrency level) and pg-boss 10 (send, insert, work). Each side exposes
 * the same four operations so the scenarios in bench.ts treat them alike.
 */
import { randomBytes } from 'node:crypto'
import { Logger, makeWorkerUtils, type Runner, run as runGraphile, type WorkerUtils } from 'graphile-worker'
import PgBoss from 'pg-boss'
import { testServiceUrls } from '../../platform/config.js'
import { openPg } from '../../platform/db/pg.js'
import type { Db } from '../../platform/db/port.js'
import { addJob, addJobs } from './enqueue.js'
import type { JobWorker } from './worker.js'
import { migrateJobs, WorkerFixture } from './worker-fixture.js'

export interface QueueSide {
  /** Enqueue one no-op job into the enqueue-only queue. */
  addOne(): Promise<void>
  /** Enqueue `n` no-op jobs in one call into the enqueue-only queue. */
  addMany(n: number): Promise<void>
  /** Enqueue `n` no-op jobs for the workers of concurrency `c` (one batch call). */
  fill(c: number, n: number): Promise<void>
  /** Start (once) the workers of concurrency `c`; `onJob` is called as each handler runs. */
  workers(c: number, onJob: () => void): Promise<void>
}

const RUN_ID = randomBytes(3).toString('hex')
const SCHEMA = (name: string) => `jobsbench_${RUN_ID}_${name}`
const url = () => testServiceUrls().databaseUrl

/** Blueprints: addJob/addJobs and one JobWorker per concurrency level (its own queue), at the shipped defaults. */
export class BlueprintsSide implements QueueSide {
  private db!: Db
  private fixture!: WorkerFixture
  private readonly handlers = new Map<number, () => void>()
  private readonly started = new Map<number, JobWorker>()

  async init(): Promise<this> {
    const root = await openPg(url(), 'public', { max: 10 })
    this.db = root.withSchema(SCHEMA('blueprints'))
    await migrateJobs(this.db)
    await this.db.query("INSERT INTO queues (name) VALUES ('enq'), ('c1'), ('c10'), ('c100')")
    this.fixture = new WorkerFixture(this.db)
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

  async fill(c: number, n: number): Promise<void> {
    await addJobs(
      this.db,
      `c${c}`,
      Array.from({ length: n }, () => ({ task: 'noop' })),
    )
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.handlers.set(c, onJob)
    if (this.started.has(c)) return
    const w = await this.fixture.worker(
      { noop: { handler: () => this.handlers.get(c)!() } },
      { concurrency: c, queueConcurrency: c, fetchBatch: 50, prefetch: 10, queues: [`c${c}`], pollMs: 2_000 },
    )
    this.started.set(c, w)
  }
}

/** graphile-worker 0.16: WorkerUtils.addJob, SQL add_jobs for batches, one runner per level. */
export class GraphileSide implements QueueSide {
  private utils!: WorkerUtils
  private readonly schema = SCHEMA('graphile')
  private readonly handlers = new Map<number, () => void>()
  private readonly runners = new Map<number, Runner>()

  async init(): Promise<this> {
    this.utils = await makeWorkerUtils({ connectionString: url(), schema: this.schema })
    await this.utils.migrate()
    return this
  }

  async addOne(): Promise<void> {
    await this.utils.addJob('enq', {})
  }

  private async addJobs(task: string, n: number): Promise<void> {
    const specs = JSON.stringify(Array.from({ length: n }, () => ({ identifier: task, payload: {} })))
    await this.utils.withPgClient((client) =>
      client.query(
        `SELECT count(*) FROM "${this.schema}".add_jobs(ARRAY(
           SELECT json_populate_record(null::"${this.schema}".job_spec, x) FROM json_array_elements($1::json) x))`,
        [specs],
      ),
    )
  }

  addMany(n: number): Promise<void> {
    return this.addJobs('enq', n)
  }

  fill(c: number, n: number): Promise<void> {
    return this.addJobs(`noop_c${c}`, n)
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.handlers.set(c, onJob)
    if (this.runners.has(c)) return
    const runner = await runGraphile({
      connectionString: url(),
      schema: this.schema,
      concurrency: c,
      noHandleSignals: true,
      pollInterval: 2_000,
      logger: silentGraphileLogger(),
      taskList: { [`noop_c${c}`]: async () => this.handlers.get(c)!() },
    })
    this.runners.set(c, runner)
  }
}

/** graphile-worker logs every job start at info; nothing is printed during the bench. */
function silentGraphileLogger(): Logger {
  return new Logger(() => () => {})
}

/** pg-boss 10: send, insert, and one work() per level fetching `c` jobs per poll (its fastest form). */
export class PgBossSide implements QueueSide {
  private boss!: PgBoss
  private readonly handlers = new Map<number, () => void>()
  private readonly working = new Set<number>()

  async init(): Promise<this> {
    this.boss = new PgBoss({
      connectionString: url(),
      schema: SCHEMA('pgboss'),
      max: 10,
      supervise: true,
      schedule: false,
    })
    this.boss.on('error', () => {})
    await this.boss.start()
    for (const q of ['enq', 'c1', 'c10', 'c100']) await this.boss.createQueue(q)
    return this
  }

  async addOne(): Promise<void> {
    await this.boss.send('enq', {})
  }

  async addMany(n: number): Promise<void> {
    await this.boss.insert(Array.from({ length: n }, () => ({ name: 'enq', data: {} })))
  }

  async fill(c: number, n: number): Promise<void> {
    await this.boss.insert(Array.from({ length: n }, () => ({ name: `c${c}`, data: {} })))
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.handlers.set(c, onJob)
    if (this.working.has(c)) return
    this.working.add(c)
    await this.boss.work(`c${c}`, { batchSize: c, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      await Promise.all(jobs.map(async () => this.handlers.get(c)!()))
    })
  }
}
