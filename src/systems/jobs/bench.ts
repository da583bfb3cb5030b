/**
 * The job queue's benchmark (`npm run bench -- jobs`): Blueprints against
 * graphile-worker 0.16 and pg-boss 10, in process, on the same PostgreSQL
 * (DATABASE_URL or 127.0.0.1:5432/test), each in its own schema, each with a
 * pool of 10 connections. Needs the local services (`scripts/services.sh up`).
 *
 * - drain-c1 / drain-c10 / drain-c100: workers of that concurrency drain
 *   no-op jobs; whenever the queue runs low another block is enqueued in one
 *   batch call. ops = jobs whose handler ran; latencies are those of the
 *   block enqueues.
 * - enqueue-single: 8 concurrent callers, one job per call.
 * - enqueue-batch: 4 concurrent callers, 100 jobs per call.
 * - pickup-latency: one job at a time into an idle queue; the latency is from
 *   the enqueue call to the handler starting (LISTEN/NOTIFY for Blueprints
 *   and graphile-worker; pg-boss polls, every 0.5 s at its minimum).
 */
import { randomBytes } from 'node:crypto'
import { Logger, makeWorkerUtils, type Runner, run as runGraphile, type WorkerUtils } from 'graphile-worker'
import PgBoss from 'pg-boss'
import type { BenchSubject, BenchSuite, CustomLoad } from '../../../bench/types.js'
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

type Side = 'blueprints' | 'graphile-worker' | 'pg-boss'
const sides = new Map<Side, Promise<QueueSide>>()

/** Each side is created once, on first use, and shared by every scenario. */
function side(name: Side): Promise<QueueSide> {
  let s = sides.get(name)
  if (!s) {
    s =
      name === 'blueprints'
        ? new BlueprintsSide().init()
        : name === 'graphile-worker'
          ? new GraphileSide().init()
          : new PgBossSide().init()
    sides.set(name, s)
  }
  return s
}

/** What each side's workers of one concurrency level still have queued, across slices. */
const backlogs = new Map<string, { queued: number; ran: number; wake?: () => void }>()

/**
 * Keep the queue of level `c` fed in blocks: whenever fewer than `low` jobs
 * are left, enqueue another block in one batch call. ops = handlers run
 * during the slice. The batch enqueues share the database with the workers,
 * as in production; they are the same for every side.
 */
function drain(name: Side, c: number, block: number): CustomLoad {
  const low = Math.max(c * 2, block / 2)
  return {
    kind: 'custom',
    async run({ durationMs }) {
      const s = await side(name)
      const key = `${name}:${c}`
      let b = backlogs.get(key)
      if (!b) {
        const state: { queued: number; ran: number; wake?: () => void } = { queued: 0, ran: 0 }
        b = state
        backlogs.set(key, state)
        await s.workers(c, () => {
          state.ran++
          if (state.queued - state.ran < low) state.wake?.()
        })
      }
      const state = b
      const ranBefore = state.ran
      const latenciesMs: number[] = []
      const end = Date.now() + durationMs
      while (Date.now() < end) {
        if (state.queued - state.ran < low) {
          const t0 = performance.now()
          await s.fill(c, block)
          latenciesMs.push(performance.now() - t0)
          state.queued += block
          continue
        }
        await new Promise<void>((r) => {
          state.wake = r
          setTimeout(r, Math.max(0, end - Date.now())).unref()
        })
        state.wake = undefined
      }
      return { ops: state.ran - ranBefore, latenciesMs }
    },
  }
}

function enqueue(name: Side, callers: number, perCall: number): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs }) {
      const s = await side(name)
      const latenciesMs: number[] = []
      let ops = 0
      let errors = 0
      const end = Date.now() + durationMs
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (Date.now() < end) {
            const t0 = performance.now()
            try {
              if (perCall === 1) await s.addOne()
              else await s.addMany(perCall)
              latenciesMs.push(performance.now() - t0)
              ops += perCall
            } catch {
              errors++
            }
          }
        }),
      )
      return { ops, latenciesMs, errors }
    },
  }
}

function pickup(name: Side): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs }) {
      const s = await side(name)
      let arrived: (() => void) | undefined
      await s.workers(1, () => arrived?.())
      const latenciesMs: number[] = []
      const end = Date.now() + durationMs
      while (Date.now() < end) {
        // An idle queue: nothing in flight when the job is enqueued.
        await new Promise((r) => setTimeout(r, 20))
        const ran = new Promise<void>((r) => {
          arrived = r
        })
        const t0 = performance.now()
        await s.fill(1, 1)
        await ran
        latenciesMs.push(performance.now() - t0)
      }
      return { ops: latenciesMs.length, latenciesMs }
    },
  }
}

const subjects = (load: (s: Side) => CustomLoad): BenchSubject[] => [
  { name: 'blueprints', role: 'system', load: load('blueprints') },
  { name: 'graphile-worker', role: 'peer', load: load('graphile-worker') },
  { name: 'pg-boss', role: 'peer', load: load('pg-boss') },
]

const suite: BenchSuite = {
  system: 'jobs',
  scenarios: [
    ...(
      [
        [1, 200],
        [10, 1_000],
        [100, 5_000],
      ] as const
    ).map(([c, block]) => ({
      name: `drain-c${c}`,
      description:
        `No-op jobs drained by workers of concurrency ${c} (Blueprints: JobWorker; graphile-worker: ` +
        `run({ concurrency: ${c} }); pg-boss: work({ batchSize: ${c} })); the queue is fed blocks of ${block} ` +
        'in one batch call whenever it runs low. ops = handlers run per second; latencies are the block enqueues. ' +
        'All three in this process, on the same PostgreSQL, 10 connections each.',
      subjects: subjects((s) => drain(s, c, block)),
      goals: { 'graphile-worker': 1, 'pg-boss': 3 },
    })),
    {
      name: 'enqueue-single',
      description:
        'One no-op job per call, 8 concurrent callers: addJob() (the add_job() SQL function) vs ' +
        'graphile-worker addJob() vs pg-boss send().',
      subjects: subjects((s) => enqueue(s, 8, 1)),
      goals: { 'graphile-worker': 1 },
    },
    {
      name: 'enqueue-batch',
      description:
        '100 no-op jobs per call, 4 concurrent callers: addJobs() (one INSERT) vs graphile-worker add_jobs() ' +
        'vs pg-boss insert(). ops are jobs.',
      subjects: subjects((s) => enqueue(s, 4, 100)),
      goals: { 'graphile-worker': 1 },
    },
    {
      name: 'pickup-latency',
      description:
        'One job at a time into an idle queue; latency from the enqueue call to the handler starting ' +
        '(the claim is the p99: under 20 ms with LISTEN/NOTIFY). pg-boss polls (0.5 s at its minimum).',
      subjects: subjects(pickup),
    },
  ],
}

export default suite
