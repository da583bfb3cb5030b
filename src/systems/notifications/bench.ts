/**
 * The notifications benchmark (`npm run bench -- notifications`): end-to-end deliveries at 1, 10
 * and 100 producers. Each producer sends a trigger, waits for its answer, and sends the next; a
 * trigger is one workflow run with an in-app step and a webhook step. ops = in-app messages that
 * reached the subscriber's live inbox socket per second, over the slice and the wait for what
 * it triggered (bench/tracker.ts); latencies are trigger sent -> in-app message received. The
 * subject's measures add triggers/s accepted, webhook deliveries/s and the webhook p99.
 *
 * - blueprints: the system in its own process on PostgreSQL (bench/blueprints-side.ts).
 * - bare jobs + POST (floor): the same two deliveries as bare platform/jobs jobs enqueued straight
 *   on the database, an INSERT and a POST (bench/floor-side.ts).
 *
 * Novu, the peer the issue names, is not run: its worker is a NestJS service of the Novu monorepo
 * that needs MongoDB and Redis and is not published as a package to install (README: Benchmark).
 * Needs the local services (`scripts/services.sh up`).
 */
import type { BenchScenario, BenchSubject, BenchSuite, StartedServer } from '../../../bench/types.js'
import { prepares, startSystem } from './bench/blueprints-side.js'
import { startFloor } from './bench/floor-side.js'
import { producersLoad, trackers } from './bench/tracker.js'

const FLOOR = 'bare jobs + POST'

/** The server a subject started, by subject name (each subject has one, shared by the scenarios). */
const started = new Map<string, StartedServer>()
const once = (name: string, start: () => Promise<StartedServer>) => {
  let p: Promise<StartedServer> | undefined
  return () => {
    p ??= start().then((s) => {
      started.set(name, s)
      return s
    })
    return p
  }
}
const system = once('blueprints', startSystem)
const floor = once(FLOOR, startFloor)

const measuresOf = (name: string, producers: number) => () => {
  const s = started.get(name)
  return s && trackers.get(s)?.tracker.measures(producers)
}

function scenario(producers: number): BenchScenario {
  const subjects: BenchSubject[] = [
    {
      name: 'blueprints',
      role: 'system',
      start: system,
      prepare: async (server) => {
        const seed = server && prepares.get(server)
        if (!seed) throw new Error('the system was not started')
        await seed()
      },
      load: producersLoad(producers),
      measures: measuresOf('blueprints', producers),
    },
    {
      name: FLOOR,
      role: 'baseline',
      start: floor,
      load: producersLoad(producers),
      measures: measuresOf(FLOOR, producers),
    },
  ]
  return {
    name: `producers-${producers}`,
    description:
      `${producers} closed-loop producer(s); a trigger = an in-app + a webhook delivery. Blueprints: POST ` +
      '/notifications/v1/events/trigger (Idempotency-Key) to 100 subscribers in turn, in-app seen on the ' +
      "subscriber's /live/ws inbox stream, webhook signed to a local receiver; on PostgreSQL. Floor: one " +
      'addJobs call of two bare jobs, an INSERT and an unsigned POST, 16 workers, in the load process. ' +
      'ops = in-app deliveries/s end to end (the slice plus the wait for its deliveries).',
    subjects,
  }
}

const suite: BenchSuite = {
  system: 'notifications',
  scenarios: [scenario(1), scenario(10), scenario(100)],
}

export default suite
