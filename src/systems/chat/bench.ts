/**
 * The chat benchmark (`npm run bench -- chat`): room fan-out, Blueprints vs
 * Socket.IO 4 (rooms, `io.to(room).emit`, WebSocket transport only).
 *
 * - fanout: 10 rooms x 50 members (500 connections); one member of each room
 *   sends, keeping 8 messages in flight (the next goes when its own copy comes
 *   back). Ops = messages delivered to members per second; latency = send to
 *   receipt at each member. Blueprints runs three ways: clients speaking
 *   protocol v2 (a committed batch arrives in one `batch` frame), the same
 *   server with v1 clients (one frame per message), and the scaled deployment
 *   (PostgreSQL + NATS from `scripts/services.sh up`; PostgreSQL is not pinned,
 *   so it takes CPU from both cores).
 * - fanout-5k: 100 rooms x 50 members (5,000 connections), 2 in flight per room.
 *   Blueprints clients speak v2 here and below.
 * - latency-5k: the same 5,000 connections at a fixed 50 messages/s (2,500
 *   deliveries/s), below saturation: the delivery latency a user sees.
 * - latency-5k-200: the same at 200 messages/s (10,000 deliveries/s): two
 *   messages a second per room, so only group commit across rooms batches them.
 *   The three 5,000-connection scenarios share their connections.
 * - idle-connections: 5,000 idle connections; memory per connection on stderr,
 *   measured on Blueprints with PostgreSQL + NATS (needs `scripts/services.sh up`),
 *   since PGlite's reserved memory would hide it.
 *
 * Not the same work, and the table says so: every Blueprints message is
 * committed to PostgreSQL (PGlite by default, as `npm start` runs) with its
 * offset before it is delivered, and can be replayed; Socket.IO keeps nothing.
 * Before the scenarios each server's memory is sampled with 5,000 idle
 * connections and the connections 1 GiB holds is printed on stderr.
 *
 * The Blueprints client side is in bench/blueprints-side.ts, the Socket.IO server and client side in
 * bench/socket-io.ts, the meter in bench/meter.ts.
 */

import { readFileSync } from 'node:fs'
import { startChild } from '../../../bench/harness/child.js'
import { listeningUrlFromLine, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchScenario, BenchSuite, CustomLoad, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'
import { BlueprintsSide } from './bench/blueprints-side.js'
import { Meter, type Side } from './bench/meter.js'
import { SocketIoSide } from './bench/socket-io.js'

// ---- shared client side -------------------------------------------------------------------------

/** Run `side` for `durationMs`: each room keeps `window` messages in flight. */
async function drive(
  side: Side,
  meter: Meter,
  inflight: number[],
  rooms: number,
  window: number,
  ms: number,
  rate?: number,
) {
  meter.active = true
  meter.delivered = 0
  meter.latencies = []
  const start = performance.now()
  let timer: NodeJS.Timeout | undefined
  if (rate) {
    // Open loop: `rate` messages a second, round-robin over the rooms, whatever the server does.
    let k = 0
    let owed = 0
    timer = setInterval(() => {
      owed += rate / 100
      for (; owed >= 1; owed--) side.send(k++ % rooms)
    }, 10)
  } else for (let r = 0; r < rooms; r++) for (let i = inflight[r]!; i < window; i++) side.send(r)
  await new Promise((r) => setTimeout(r, ms))
  clearInterval(timer)
  meter.active = false
  const elapsed = performance.now() - start
  // Let messages in flight land so the next slice starts clean.
  const deadline = Date.now() + 5_000
  while (inflight.some((n) => n > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  return { ops: Math.round((meter.delivered * ms) / elapsed), latenciesMs: meter.latencies }
}

// ---- Socket.IO side -----------------------------------------------------------------------------

const blueprints = (): Promise<StartedServer> =>
  startBlueprints({
    name: 'blueprints chat',
    env: {
      SYSTEMS: 'chat',
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_MAX_CONNECTIONS_PER_USER: '10',
      METRICS_ENABLED: 'true',
    },
  })
const socketIo = (): Promise<StartedServer> =>
  startChild({
    name: 'socket.io',
    entry: 'src/systems/chat/bench/socket-io.ts',
    env: { CHAT_BENCH_SOCKETIO: '1' },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ping',
    readyStatus: 200,
  })

/** The scaled deployment: PostgreSQL and NATS from the local services, fresh prefixes. */
function scaledEnv(): Record<string, string> {
  const urls = testServiceUrls()
  const id = Math.random().toString(36).slice(2, 8)
  return {
    DATABASE_URL: urls.databaseUrl,
    NATS_URL: urls.natsUrl,
    DB_SCHEMA_PREFIX: `bench${id}_`,
    BUS_PREFIX: `bench${id}`,
  }
}
/**
 * The scaled deployment: the `fanout` scenario's PostgreSQL + NATS row, and the idle-memory
 * measure (without PGlite in the process: PostgreSQL in WASM reserves ~900 MB up front).
 */
const blueprintsScaled = (): Promise<StartedServer> =>
  startBlueprints({
    name: 'blueprints chat (PostgreSQL + NATS)',
    env: {
      SYSTEMS: 'chat',
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_MAX_CONNECTIONS_PER_USER: '10',
      ...scaledEnv(),
    },
  })

/** Resident memory of a process, in MiB. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

/** Open `n` idle connections, measure the server's memory per connection, and print what 1 GiB holds. */
async function idleMemory(name: string, server: StartedServer, make: () => Side, n: number): Promise<void> {
  const before = rssMb(server.pid)
  const side = make()
  await side.connect(server.url, n / 50, 50)
  await new Promise((r) => setTimeout(r, 2_000))
  const after = rssMb(server.pid)
  const per = ((after - before) * 1024) / n
  process.stderr.write(
    `chat bench: ${name}: ${n} idle connections: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB, ` +
      `${per.toFixed(1)} KiB each; 1 GiB holds ~${Math.floor((1024 * 1024) / per).toLocaleString('en')} beyond the base process\n`,
  )
  await side.close()
}

// ---- scenarios ----------------------------------------------------------------------------------

/** Who a scenario's subject is: Blueprints with v2 or v1 clients (on PGlite, or PostgreSQL + NATS), or Socket.IO. */
type Kind = 'bp' | 'bp-v1' | 'bp-scaled' | 'sio'

/**
 * One set of clients per subject kind and room shape, shared by the scenarios of that shape: the
 * 5,000-connection scenarios reuse the same connections (opened once) with another load, instead of
 * each opening 5,000 more (which would exhaust a small machine's ephemeral ports).
 */
interface Clients {
  side: Side
  meter: Meter
  inflight: number[]
  /** The scenario now driving these clients sets its window here. */
  window: number
  connected?: Promise<void>
}
const clientSets = new Map<string, Clients>()

function clientsFor(kind: Kind, rooms: number, members: number): Clients {
  const key = `${kind}:${rooms}x${members}`
  let c = clientSets.get(key)
  if (!c) {
    const meter = new Meter()
    const inflight: number[] = []
    const holder = { window: 0 }
    const side: Side =
      kind === 'sio'
        ? new SocketIoSide(meter, inflight, () => holder.window)
        : new BlueprintsSide(meter, inflight, () => holder.window, kind === 'bp-v1' ? 1 : 2)
    c = Object.assign(holder, { side, meter, inflight })
    clientSets.set(key, c)
  }
  return c
}

function scenario(
  name: string,
  description: string,
  rooms: number,
  members: number,
  window: number,
  rate?: number,
  variants = false,
): BenchScenario {
  const subject = (
    label: string,
    role: 'system' | 'baseline' | 'peer',
    start: () => Promise<StartedServer>,
    kind: Kind,
  ) => {
    const c = clientsFor(kind, rooms, members)
    const load: CustomLoad = {
      kind: 'custom',
      run: ({ durationMs }) => {
        c.window = window
        return drive(c.side, c.meter, c.inflight, rooms, window, durationMs, rate)
      },
    }
    return {
      name: label,
      role,
      start,
      prepare: async (server: StartedServer | undefined) => {
        c.connected ??= c.side.connect(server!.url, rooms, members)
        await c.connected
      },
      load,
    }
  }
  return {
    name,
    description,
    subjects: [
      subject('blueprints, v2 clients (each message stored in PGlite)', 'system', blueprints, 'bp'),
      ...(variants
        ? [
            subject('blueprints, v1 clients (no batch frames)', 'baseline', blueprints, 'bp-v1'),
            subject('blueprints on PostgreSQL + NATS', 'baseline', blueprintsScaled, 'bp-scaled'),
          ]
        : []),
      subject('socket.io 4 (nothing stored)', 'peer', socketIo, 'sio'),
    ],
    goals: { 'socket.io 4 (nothing stored)': 3 },
  }
}

const fanout = scenario(
  'fanout',
  '10 rooms x 50 members, one sender per room with 8 in flight: messages delivered per second',
  10,
  50,
  8,
  undefined,
  true,
)
/**
 * Rooms of the 5,000-connection scenarios. A smoke run (CI: it only checks that the bench works)
 * uses a tenth: 5,000 connections per subject, scenario after scenario, leave tens of thousands of
 * sockets in TIME_WAIT and exhaust a small machine's ephemeral ports.
 */
const ROOMS_5K = process.env.BENCH_SMOKE ? 10 : 100

const fanout5k = scenario(
  'fanout-5k',
  '100 rooms x 50 members (5,000 connections), 2 in flight per room: delivered per second',
  ROOMS_5K,
  50,
  2,
)

const latency5k = scenario(
  'latency-5k',
  '100 rooms x 50 members (5,000 connections), 50 messages/s across the rooms (2,500 deliveries/s): latency below saturation',
  ROOMS_5K,
  50,
  0,
  50,
)

const latency5k200 = scenario(
  'latency-5k-200',
  'the same 5,000 connections at 200 messages/s across the rooms (10,000 deliveries/s): 2 a second per room, too few to batch within a room',
  ROOMS_5K,
  50,
  0,
  200,
)

/** Measured once, before the first scenario uses the servers. */
const idle: BenchScenario = {
  name: 'idle-connections',
  description:
    '5,000 idle connections on each server (memory per connection is printed on stderr); ops = pings/s',
  subjects: (
    [
      ['blueprints (PostgreSQL + NATS)', 'system', blueprintsScaled, 'bp'],
      ['socket.io 4 (nothing stored)', 'peer', socketIo, 'sio'],
    ] as const
  ).map(([label, role, start, kind]) => {
    let server: StartedServer | undefined
    return {
      name: label,
      role,
      start,
      prepare: async (s: StartedServer | undefined) => {
        server = s
        await idleMemory(
          label,
          s!,
          () =>
            kind === 'bp'
              ? new BlueprintsSide(new Meter(), [], () => 0)
              : new SocketIoSide(new Meter(), [], () => 0),
          ROOMS_5K * 50,
        )
      },
      load: {
        kind: 'custom',
        async run({ durationMs }) {
          // Nothing to load: the result of this scenario is the memory line on stderr.
          await new Promise((r) => setTimeout(r, Math.min(durationMs, 100)))
          return { ops: server ? 1 : 0, latenciesMs: [0] }
        },
      } satisfies CustomLoad,
    }
  }),
}

export default {
  system: 'chat',
  scenarios: [idle, fanout, fanout5k, latency5k, latency5k200],
} satisfies BenchSuite
