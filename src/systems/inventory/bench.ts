/**
 * The inventory benchmark (`npm run bench -- inventory`), issue 20: the reservation strategies side
 * by side in one run, each a Blueprints process with SYSTEMS=inventory and its INVENTORY_STRATEGY,
 * on the local PostgreSQL (the scaled deployment; needs `scripts/services.sh up`) and on PGlite
 * (as `npm start` runs it).
 *
 * Each request is `POST /inventory/shows/{id}/holds {seats: [one random seat], ttlSeconds: 1}`:
 * a hold lasts a second and lapses by itself (expiry is checked at read), so the map stays in a
 * steady state with about one second's holds taken instead of filling up during the rounds. An
 * answer is a decision, 201 (held) or 409 (the seat was taken): both count, and the 409 share is
 * printed as the contention the load met.
 *
 * - hot-map at 10 / 100 / 1,000 buyers: every buyer on one show of 20,000 seats: the "one hot
 *   item" of the issue. No hold takes a row shared by the show's other holds (the live seat map's
 *   offsets are given by the sequencer after the commit: README, "The hot row").
 * - cold-maps at 100 buyers: 200 shows of a 500-seat venue (100,000 seats), a random show per hold.
 *
 * Goal (issue 20): the best strategy on the hot map >= 5,000 holds/s with p99 < 50 ms at 1,000
 * buyers. Ratios are of pessimistic on PostgreSQL (the default strategy) to each other subject.
 * PGlite is one connection: its transactions run one at a time, each flushing its WAL at commit.
 */
import { randomBytes } from 'node:crypto'
import { startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchScenario, BenchSubject, BenchSuite, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'

type Strategy = 'pessimistic' | 'optimistic'
type Backend = 'PostgreSQL' | 'PGlite'

const JSON_HEADERS = { 'content-type': 'application/json' }
/** Connections per PostgreSQL server (the database allows 100, shared by every process here). */
const POOL = 16

/** A venue of `rows` rows of `perRow` seats in one section: seat ids `S-<row>-<n>`. */
function venue(rows: number, perRow: number) {
  return {
    name: 'Bench hall',
    sections: [
      { name: 'S', rows: Array.from({ length: rows }, (_, i) => ({ name: `R${i + 1}`, seats: perRow })) },
    ],
  }
}

async function post<T>(base: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  })
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

/** The local PostgreSQL in a fresh schema (the scaled deployment's database; no Redis or NATS needed). */
function postgresEnv(): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return {
    DATABASE_URL: testServiceUrls().databaseUrl,
    DB_SCHEMA_PREFIX: `bench${id}_`,
    // More connections than the default 10: a hold is a short transaction of a few round trips,
    // and at 100+ buyers the pool, not the database, was the queue (README, "The hot row").
    DB_POOL_MAX: String(POOL),
    BUS_PREFIX: `bench${id}`,
  }
}

const server = (strategy: Strategy, backend: Backend) => (): Promise<StartedServer> =>
  startBlueprints({
    name: `inventory ${strategy} (${backend})`,
    env: {
      SYSTEMS: 'inventory',
      INVENTORY_STRATEGY: strategy,
      LOG_LEVEL: 'warn',
      ...(backend === 'PostgreSQL' ? postgresEnv() : {}),
    },
  })

/** One strategy's subject: `shows` shows of a `rows` x `perRow` venue, one random seat per hold. */
function subject(
  strategy: Strategy,
  backend: Backend,
  shows: number,
  rows: number,
  perRow: number,
  connections: number,
): BenchSubject {
  let showIds: string[] = []
  return {
    name: `${strategy} (${backend})`,
    role: strategy === 'pessimistic' && backend === 'PostgreSQL' ? 'system' : 'baseline',
    start: server(strategy, backend),
    prepare: async (s) => {
      const base = s!.url
      const { id: venueId } = await post<{ id: string }>(base, '/inventory/venues', venue(rows, perRow))
      showIds = []
      for (let i = 0; i < shows; i++)
        showIds.push(
          (
            await post<{ id: string }>(base, '/inventory/shows', {
              venueId,
              startsAt: '2030-01-01T20:00:00Z',
            })
          ).id,
        )
    },
    load: {
      kind: 'http',
      method: 'POST',
      path: () => `/inventory/shows/${showIds[Math.floor(Math.random() * showIds.length)]}/holds`,
      headers: JSON_HEADERS,
      body: () =>
        JSON.stringify({
          seats: [`S-R${1 + Math.floor(Math.random() * rows)}-${1 + Math.floor(Math.random() * perRow)}`],
          ttlSeconds: 1,
        }),
      connections,
      expectStatus: [201, 409],
    },
  }
}

function scenario(name: string, description: string, shows: number, rows: number, perRow: number, c: number) {
  return {
    name,
    description,
    subjects: (['PostgreSQL', 'PGlite'] as const).flatMap((backend) =>
      (['pessimistic', 'optimistic'] as const).map((strategy) =>
        subject(strategy, backend, shows, rows, perRow, c),
      ),
    ),
  } satisfies BenchScenario
}

/**
 * Buyers of the largest hot-map scenario. A smoke round (CI: 1 s, no warm-up) runs it with 100:
 * 1,000 connections opened at once complete nothing in its one second on a loaded machine (seen
 * here: every optimistic request still queued when the round ended), and the smoke only checks
 * that the scenario works. The real runs use 1,000.
 */
const C_MAX = process.env.BENCH_SMOKE ? 100 : 1000

const suite: BenchSuite = {
  system: 'inventory',
  scenarios: [
    ...[10, 100, C_MAX].map((c, i) =>
      scenario(
        `hot-map-c${i === 2 ? 1000 : c}`,
        `one show of 20,000 seats, ${c} buyers each holding one random seat for 1 s (201 held or 409 taken); holds/s`,
        1,
        100,
        200,
        c,
      ),
    ),
    scenario(
      'cold-maps-c100',
      '200 shows of a 500-seat venue, 100 buyers each holding one random seat of a random show for 1 s; holds/s',
      200,
      10,
      50,
      100,
    ),
  ],
}

export default suite
