/**
 * The peers the jobs benchmark runs beside Blueprints, each at the settings its own documentation
 * recommends for throughput. graphile-worker 0.18: `localQueue` (jobs fetched in batches
 * and handed out locally, size 500 as in its performance page), batched
 * completions and failures (`completeJobBatchDelay`/`failJobBatchDelay` 0),
 * and a pool of max(10, concurrency + 2) connections ("10 or
 * concurrentJobs + 2, whichever is larger"). pg-boss 12: batch mode
 * (`work()` with `batchSize` max(concurrency, 100), run concurrency at a
 * time, `burstWhenBatchFull` so a full batch is followed by the next fetch at once), LISTEN/NOTIFY wake-ups
 * (`useListenNotify`, `notify` on the queues) and its 0.5 s minimum poll,
 * a pool of max(10, concurrency + 2).
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
import { dropSchema, POLL_MS, type QueueSide, type SideOptions, url } from './side.js'

/** A peer's pool size: graphile-worker's documented max(10, concurrency + 2), the same for pg-boss. */
const peerPoolSize = (o: SideOptions) => Math.max(10, (o.concurrency ?? 0) + 2)

/** libpq startup options for a peer's connections. */
const startupOptions = (o: SideOptions) => (o.asyncCommit ? '-c synchronous_commit=off' : undefined)

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
export class GraphileSide implements QueueSide {
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
export class PgBossSide implements QueueSide {
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
