/**
 * The three queues the jobs benchmark runs side by side, behind one small
 * interface. Each side is created for one scenario in a schema of its own
 * (created fresh, dropped at the end), so no scenario measures what an
 * earlier one left behind: graphile-worker keeps every job in one table
 * ordered by (priority, run_at), and its fetch scans past jobs of tasks no
 * runner of this level supports (a backlog of 100,000 such jobs made its
 * pickup ~50 ms instead of ~10), which is what the enqueue scenarios leave.
 *
 * Each peer runs at the settings its own documentation recommends for
 * throughput. graphile-worker 0.18: `localQueue` (jobs fetched in batches
 * and handed out locally, size 500 as in its performance page), batched
 * completions and failures (`completeJobBatchDelay`/`failJobBatchDelay` 0),
 * and a pool of max(10, concurrency + 2) connections ("10 or
 * concurrentJobs + 2, whichever is larger"). pg-boss 12: batch mode
 * (`work()` with `batchSize` max(concurrency, 100), run concurrency at a
 * time, `burstWhenBatchFull` so a full batch is followed by the next fetch at once), LISTEN/NOTIFY wake-ups
 * (`useListenNotify`, `notify` on the queues) and its 0.5 s minimum poll,
 * a pool of max(10, concurrency + 2). Blueprints: a pool of 9 and the
 * worker's dedicated fetch connection, plus its listener, at its defaults.
 *
 * Durability: Blueprints' worker commits its fetches and completions
 * asynchronously (synchronous_commit off for those transactions, see
 * worker.store.ts); the peers commit every fetch and completion durably.
 * With `asyncCommit` a peer's connections run with synchronous_commit off
 * too, so both sides can also be compared on the same terms.
 *
 * VACUUM: every side's tables are vacuumed by the same policy, 10,000 dead rows checked every
 * 5 s: Blueprints' by its own maintenance (what every process of it runs), the peers' by the
 * harness (PeerVacuum), since this PostgreSQL runs without autovacuum.
 */
import { EventEmitter } from 'node:events'
import { Logger, makeWorkerUtils, type Runner, run as runGraphile, type WorkerUtils } from 'graphile-worker'
import pg from 'pg'
import { PgBoss } from 'pg-boss'
import { testServiceUrls } from '../../../platform/config.js'
import { openPg } from '../../../platform/db/pg.js'
import type { Db } from '../../../platform/db/port.js'
import { addJob, addJobs } from '../../../platform/jobs/enqueue.js'
import { migrateJobs, WorkerFixture } from '../../../platform/jobs/worker-fixture.js'

export type SideName = 'blueprints' | 'graphile-worker' | 'pg-boss'

export interface QueueSide {
  readonly name: SideName
  readonly schema: string
  /** Enqueue one no-op job into the enqueue-only queue. */
  addOne(): Promise<void>
  /** Enqueue `n` no-op jobs in one call into the enqueue-only queue. */
  addMany(n: number): Promise<void>
  /** Enqueue `n` no-op jobs for the workers (one batch call). */
  fill(n: number): Promise<void>
  /** Start (once) workers of concurrency `c`; `onJob` (replaceable by a later call) runs in each handler. */
  workers(c: number, onJob: () => void): Promise<void>
  /** Stop everything and drop the schema. */
  close(): Promise<void>
}

/** The workers' fallback poll: long, so that a pickup that did not come from a NOTIFY stands out. */
export const POLL_MS = 10_000

/**
 * The database URL; with `app`, every connection made from it carries that application_name (the
 * side's schema), so the CPU of the PostgreSQL backends serving one side can be told apart (backend-cpu.ts).
 */
const url = (app?: string) => {
  const base = testServiceUrls().databaseUrl
  return app ? `${base}${base.includes('?') ? '&' : '?'}application_name=${app}` : base
}

/** How a side is set up for one scenario. */
export interface SideOptions {
  /** The workers' concurrency (sizes the peers' pools); undefined for enqueue-only scenarios. */
  concurrency?: number
  /** The peer's connections commit with synchronous_commit off (Blueprints' worker always does). */
  asyncCommit?: boolean
}

/** A peer's pool size: graphile-worker's documented max(10, concurrency + 2), the same for pg-boss. */
const peerPoolSize = (o: SideOptions) => Math.max(10, (o.concurrency ?? 0) + 2)

/** libpq startup options for a peer's connections. */
const startupOptions = (o: SideOptions) => (o.asyncCommit ? '-c synchronous_commit=off' : undefined)

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

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

/**
 * The peers' share of the VACUUM policy Blueprints' maintenance ships (vacuum.ts): every 5 s,
 * any table of the side's schema with 10,000 dead rows or more is vacuumed. Autovacuum is off
 * on the PostgreSQL this runs on in CI; on a production server it would clean the peers'
 * tables too (less often), and a fetch index full of dead entries is not what the comparison
 * is about. On its own connection, one more than the side's 10.
 */
class PeerVacuum {
  private readonly client: pg.Client
  private timer: NodeJS.Timeout | undefined
  private busy: Promise<void> | undefined

  constructor(private readonly schema: string) {
    // The side's application_name: its VACUUMs count as the side's database work.
    this.client = new pg.Client({ connectionString: url(schema) })
  }

  async start(): Promise<this> {
    await this.client.connect()
    this.client.on('error', () => {})
    this.timer = setInterval(() => {
      this.busy ??= this.once().finally(() => {
        this.busy = undefined
      })
    }, 5_000)
    return this
  }

  private async once(): Promise<void> {
    const { rows } = await this.client.query<{ relname: string }>(
      'SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND n_dead_tup >= 10000',
      [this.schema],
    )
    for (const r of rows)
      await this.client.query(`VACUUM (SKIP_LOCKED) "${this.schema}"."${r.relname}"`).catch(() => {})
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.busy?.catch(() => {})
    await this.client.end()
  }
}

/** graphile-worker prints every job at info; its warnings and errors (a LISTEN failing, say) are shown. */
function graphileLogger(): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning')
      process.stderr.write(`graphile-worker ${level}: ${message}\n`)
  })
}

/** graphile-worker 0.18: WorkerUtils.addJob, SQL add_jobs for batches, one runner with its local queue. */
class GraphileSide implements QueueSide {
  readonly name = 'graphile-worker'
  private pool!: pg.Pool
  private utils!: WorkerUtils
  private runner: Runner | undefined
  private vacuum: PeerVacuum | undefined
  private onJob: () => void = () => {}
  /** NOTIFY messages its listening connection received (a check that LISTEN works). */
  notifications = 0

  constructor(
    readonly schema: string,
    private readonly o: SideOptions,
  ) {}

  async init(): Promise<this> {
    this.pool = new pg.Pool({
      connectionString: url(this.schema),
      max: peerPoolSize(this.o),
      options: startupOptions(this.o),
    })
    this.pool.on('error', () => {})
    this.utils = await makeWorkerUtils({ pgPool: this.pool, schema: this.schema, logger: graphileLogger() })
    await this.utils.migrate()
    this.vacuum = await new PeerVacuum(this.schema).start()
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

  fill(n: number): Promise<void> {
    return this.addJobs('noop', n)
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.onJob = onJob
    if (this.runner) return
    const events = new EventEmitter()
    events.on('pool:listen:notification', () => {
      this.notifications++
    })
    this.runner = await runGraphile({
      pgPool: this.pool,
      schema: this.schema,
      concurrency: c,
      noHandleSignals: true,
      pollInterval: POLL_MS,
      logger: graphileLogger(),
      events,
      taskList: { noop: async () => this.onJob() },
      // Its performance page's configuration: a local queue of 500, completions and failures batched.
      preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    })
  }

  async close(): Promise<void> {
    await this.runner?.stop()
    await this.vacuum?.stop()
    await this.utils?.release()
    await this.pool?.end()
    await dropSchema(this.schema)
  }
}

/** pg-boss 12: send, insert, and one work() in batch mode, woken by NOTIFY, fetching in bursts while batches come back full. */
class PgBossSide implements QueueSide {
  readonly name = 'pg-boss'
  private boss!: PgBoss
  private vacuum: PeerVacuum | undefined
  private onJob: () => void = () => {}
  private working = false

  constructor(
    readonly schema: string,
    private readonly o: SideOptions,
  ) {}

  async init(): Promise<this> {
    const options = startupOptions(this.o)
    this.boss = new PgBoss({
      connectionString: url(this.schema),
      schema: this.schema,
      max: peerPoolSize(this.o),
      supervise: true,
      schedule: false,
      useListenNotify: true,
      ...(options && { options }),
    })
    this.boss.on('error', (err) => process.stderr.write(`pg-boss error: ${(err as Error).message}\n`))
    await this.boss.start()
    for (const q of ['enq', 'work']) await this.boss.createQueue(q, { notify: true })
    this.vacuum = await new PeerVacuum(this.schema).start()
    return this
  }

  async addOne(): Promise<void> {
    await this.boss.send('enq', {})
  }

  async addMany(n: number): Promise<void> {
    await this.boss.insert(
      'enq',
      Array.from({ length: n }, () => ({ data: {} })),
    )
  }

  async fill(n: number): Promise<void> {
    await this.boss.insert(
      'work',
      Array.from({ length: n }, () => ({ data: {} })),
    )
  }

  async workers(c: number, onJob: () => void): Promise<void> {
    this.onJob = onJob
    if (this.working) return
    this.working = true
    // Batches of max(c, 100), fetched back to back while they come back full, run c at a time;
    // NOTIFY wakes it, and its polls (the backstop) are at its 0.5 s minimum with or without NOTIFY.
    const opts = {
      batchSize: Math.max(c, 100),
      pollingIntervalSeconds: 0.5,
      notifyPollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
    }
    await this.boss.work('work', opts, async (jobs) => {
      for (let i = 0; i < jobs.length; i += c)
        await Promise.all(jobs.slice(i, i + c).map(async () => this.onJob()))
    })
  }

  async close(): Promise<void> {
    await this.boss?.stop({ graceful: false, close: true })
    await this.vacuum?.stop()
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
