/**
 * The job queue's benchmark (`npm run bench -- jobs`): Blueprints against
 * graphile-worker 0.18 and pg-boss 12 at the settings their documentation
 * recommends for throughput, in process, on the same PostgreSQL
 * (DATABASE_URL or 127.0.0.1:5432/test). Every scenario gets each side fresh
 * in a schema of its own, dropped after it (bench/sides.ts: connections and
 * settings of each side). The drain scenarios also run each peer with its
 * commits asynchronous ("(async commit)"), as Blueprints' worker commits its
 * fetches and completions, so the ratio is shown both ways; before anything is
 * measured each side's workers must start a job enqueued into their idle
 * queue well within their fallback poll (10 s), so a measurement never rests
 * on a NOTIFY path that is not working. Needs the local services
 * (`scripts/services.sh up`).
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
import path from 'node:path'
import { currentCheckout } from '../../../bench/harness/ab.js'
import type { BenchSubject, BenchSuite, CustomLoad, StartedServer } from '../../../bench/types.js'
import { type CpuTotals, meterSlice, perJob } from './bench/backend-cpu.js'
import { checkWakeUps, createSide, type QueueSide, type SideName, type SideOptions } from './bench/sides.js'

const RUN_ID = randomBytes(3).toString('hex')
const SHORT: Record<SideName, string> = { blueprints: 'bp', 'graphile-worker': 'gw', 'pg-boss': 'pb' }

/** Each side's CPU over the drain slices, by its schema (backend-cpu.ts). */
const cpuTotals = new Map<string, CpuTotals>()
/** The schema of the side started last for a subject (scenario, name, async commit): what its measures() read. */
const schemaOfSubject = new Map<string, string>()
/** In an A/B run the "(before)" copy of a subject is started and measured in the other checkout's context. */
const subjectKey = (scenario: string, name: SideName, o: SideOptions, checkout: string | undefined) =>
  `${scenario}|${name}|${o.asyncCommit ? 'a' : ''}|${checkout ?? ''}`

/** The side behind each subject's started "server" (an in-process side: no process of its own). */
const sideOf = new WeakMap<StartedServer, QueueSide>()

/** A subject's start: its side for this scenario, fresh; stopping it closes the side and drops its schema. */
function startSide(name: SideName, scenario: string, o: SideOptions): () => Promise<StartedServer> {
  return async () => {
    // Short: graphile-worker names prepared statements `<name>/<schema>`, and PostgreSQL cuts names at 63.
    // In an A/B run (`--before`) the side of the other checkout runs that checkout's engine, in a schema of its own.
    const before = currentCheckout()
    const schema = `jobsbench_${RUN_ID}_${scenario.replace(/-/g, '_')}_${SHORT[name]}${o.asyncCommit ? 'a' : ''}${before ? 'b' : ''}`
    const create: typeof createSide = before
      ? (
          (await import(path.join(before, 'src/systems/jobs/bench/sides.ts'))) as {
            createSide: typeof createSide
          }
        ).createSide
      : createSide
    const side = await create(name, schema, o)
    schemaOfSubject.set(subjectKey(scenario, name, o, before), schema)
    // pid -1: no process of its own, so no RSS or CPU is reported for it.
    const server: StartedServer = { url: `in-process, schema ${schema}`, pid: -1, stop: () => side.close() }
    sideOf.set(server, side)
    return server
  }
}

function sideIn(server: StartedServer | undefined): QueueSide {
  const side = server && sideOf.get(server)
  if (!side) throw new Error('the side was not started')
  return side
}

/** Start the workers of concurrency `c`, then check that a NOTIFY wakes them (see checkWakeUps). */
function prepareWorkers(name: SideName, c: number) {
  return async (server: StartedServer | undefined) => {
    const took = await checkWakeUps(sideIn(server), c, name !== 'pg-boss')
    process.stderr.write(
      `  ${name}: wake-up check, pickups in ${took.map((t) => t.toFixed(1)).join(', ')} ms\n`,
    )
  }
}

/** What each side's workers still have queued, across slices. */
const backlogs = new WeakMap<QueueSide, { queued: number; ran: number; wake?: () => void }>()

/**
 * Keep the queue of level `c` fed in blocks: whenever fewer than `low` jobs
 * are left, enqueue another block in one batch call. ops = handlers run
 * during the slice. The batch enqueues share the database with the workers,
 * as in production; they are the same for every side.
 */
function drain(c: number, block: number): CustomLoad {
  const low = Math.max(c * 2, block / 2)
  return {
    kind: 'custom',
    async run({ durationMs, server }) {
      const s = sideIn(server)
      let b = backlogs.get(s)
      if (!b) {
        const state: { queued: number; ran: number; wake?: () => void } = { queued: 0, ran: 0 }
        b = state
        backlogs.set(s, state)
        await s.workers(c, () => {
          state.ran++
          if (state.queued - state.ran < low) state.wake?.()
        })
      }
      const state = b
      const ranBefore = state.ran
      let totals = cpuTotals.get(s.schema)
      if (!totals) {
        totals = { jobs: 0, nodeSec: 0, pgSec: 0 }
        cpuTotals.set(s.schema, totals)
      }
      // The slice's CPU: Node (the workers and the enqueues that feed them) and the side's backends.
      const metered = await meterSlice(s.schema, totals)
      const latenciesMs: number[] = []
      let end = Date.now() + durationMs
      // A smoke run's single 1 s slice can end before a polling side (pg-boss) fetches at all; there
      // it only has to show the side works, so wait for its first job (up to 10 s: a dead side fails).
      const smokeUntil = process.env.BENCH_SMOKE ? Date.now() + 10_000 : 0
      while (Date.now() < end || (state.ran === ranBefore && Date.now() < smokeUntil)) {
        if (Date.now() >= end) end = Date.now() + 100
        if (state.queued - state.ran < low) {
          const t0 = performance.now()
          await s.fill(block)
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
      await metered(state.ran - ranBefore)
      return { ops: state.ran - ranBefore, latenciesMs }
    },
  }
}

function enqueue(callers: number, perCall: number): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs, server }) {
      const s = sideIn(server)
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

function pickup(): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs, server }) {
      const s = sideIn(server)
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
        await s.fill(1)
        await ran
        latenciesMs.push(performance.now() - t0)
      }
      return { ops: latenciesMs.length, latenciesMs }
    },
  }
}

/** The subject name of a peer whose commits are asynchronous. */
const ASYNC = ' (async commit)'

/**
 * The three sides of a scenario, each started fresh for it; with workers of concurrency `c` checked
 * first; with `asyncPeers`, each peer a second time with its commits asynchronous.
 */
const subjects = (scenario: string, load: CustomLoad, c?: number, asyncPeers = false): BenchSubject[] =>
  (
    [
      ['blueprints', 'system', false],
      ['graphile-worker', 'peer', false],
      ['pg-boss', 'peer', false],
      ...(asyncPeers
        ? ([
            ['graphile-worker', 'peer', true],
            ['pg-boss', 'peer', true],
          ] as const)
        : []),
    ] as const
  ).map(([name, role, asyncCommit]) => ({
    name: asyncCommit ? `${name}${ASYNC}` : name,
    role,
    start: startSide(name, scenario, { concurrency: c, asyncCommit }),
    measures: () => {
      const schema = schemaOfSubject.get(subjectKey(scenario, name, { asyncCommit }, currentCheckout()))
      return perJob(schema === undefined ? undefined : cpuTotals.get(schema))
    },
    ...(c !== undefined && { prepare: prepareWorkers(name, c) }),
    load,
  }))

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
        `run({ concurrency: ${c} }) with localQueue 500 and batched completions; pg-boss: work({ batchSize: ${Math.max(c, 100)}, ` +
        `burstWhenBatchFull }) run ${c} at a time, with NOTIFY); the queue is fed blocks of ${block} ` +
        'in one batch call whenever it runs low. ops = handlers run per second; latencies are the block enqueues. ' +
        'All in this process, on the same PostgreSQL, each fresh in its own schema. "(async commit)": the peer ' +
        "with synchronous_commit off on its connections, as Blueprints' worker commits its own writes.",
      subjects: subjects(`drain-c${c}`, drain(c, block), c, true),
      goals: {
        'graphile-worker': 1.5,
        'pg-boss': 3,
        [`graphile-worker${ASYNC}`]: 1.5,
        [`pg-boss${ASYNC}`]: 3,
      },
    })),
    {
      name: 'enqueue-single',
      description:
        'One no-op job per call, 8 concurrent callers: addJob() (the add_job() SQL function) vs ' +
        'graphile-worker addJob() vs pg-boss send().',
      subjects: subjects('enqueue-single', enqueue(8, 1)),
      goals: { 'graphile-worker': 1, 'pg-boss': 1 },
    },
    {
      name: 'enqueue-batch',
      description:
        '100 no-op jobs per call, 4 concurrent callers: addJobs() (one INSERT) vs graphile-worker add_jobs() ' +
        'vs pg-boss insert(). ops are jobs.',
      subjects: subjects('enqueue-batch', enqueue(4, 100)),
      goals: { 'graphile-worker': 1, 'pg-boss': 1 },
    },
    {
      name: 'pickup-latency',
      description:
        'One job at a time into an idle queue; latency from the enqueue call to the handler starting ' +
        '(the claim is the p99: under 20 ms with LISTEN/NOTIFY). pg-boss polls (0.5 s at its minimum).',
      subjects: subjects('pickup-latency', pickup(), 1),
    },
  ],
}

export default suite
