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
 * - idle-connections: bytes per idle connection and the connections 1 GiB holds, from the
 *   slope of memory (after forced full GCs) over 2,500 to 12,500 connections, on 3 fresh servers
 *   each (bench/idle-memory.ts). Blueprints runs on PostgreSQL + NATS (needs
 *   `scripts/services.sh up`), since PGlite reserves ~900 MB at start.
 *
 * Not the same work, and the table says so: every Blueprints message is
 * committed to PostgreSQL (PGlite by default, as `npm start` runs) with its
 * offset before it is delivered, and can be replayed; Socket.IO keeps nothing.
 *
 * The Blueprints client side is in bench/blueprints-side.ts, the Socket.IO server and client side in
 * bench/socket-io.ts, the meter in bench/meter.ts, the idle-memory procedure and its probe in
 * bench/idle-memory.ts and bench/memory-probe.ts.
 */

import { startChild } from '../../../bench/harness/child.js'
import { listeningUrlFromLine, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchScenario, BenchSuite, CustomLoad, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'
import { BlueprintsSide } from './bench/blueprints-side.js'
import {
  describeRamp,
  type IdleTarget,
  isLinear,
  PROBE_NODE_ARGS,
  type Ramp,
  ramp,
  summarizeRamps,
} from './bench/idle-memory.js'
import { Meter, type Side } from './bench/meter.js'
import { SocketIoSide } from './bench/socket-io.js'
import { SocketIoRawSide } from './bench/socket-io-raw.js'

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

const blueprintsIn = (cwd?: string) => (): Promise<StartedServer> =>
  startBlueprints({
    name: cwd ? `blueprints chat in ${cwd}` : 'blueprints chat',
    env: {
      SYSTEMS: 'chat',
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_MAX_CONNECTIONS_PER_USER: '10',
      METRICS_ENABLED: 'true',
    },
    ...(cwd ? { cwd } : {}),
  })
const blueprints = blueprintsIn()
/**
 * CHAT_BENCH_BEFORE=<a checkout of this repository> (say, main before a change, in another git
 * worktree with its node_modules): the `fanout-before` scenario runs that checkout's server and this
 * one's, with the same clients, interleaved, so a change is measured against the code before it in
 * one run (how the move of the transport to platform/live was measured).
 */
const BEFORE = process.env.CHAT_BENCH_BEFORE
const startSocketIo = (env: Record<string, string> = {}, nodeArgs?: string[]): Promise<StartedServer> =>
  startChild({
    name: 'socket.io',
    entry: 'src/systems/chat/bench/socket-io.ts',
    env: { CHAT_BENCH_SOCKETIO: '1', ...env },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ping',
    readyStatus: 200,
    ...(nodeArgs ? { nodeArgs } : {}),
  })
const socketIo = (): Promise<StartedServer> => startSocketIo()

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
const startScaled = (env: Record<string, string> = {}, nodeArgs?: string[]): Promise<StartedServer> =>
  startBlueprints({
    name: 'blueprints chat (PostgreSQL + NATS)',
    env: {
      SYSTEMS: 'chat',
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_MAX_CONNECTIONS_PER_USER: '10',
      ...scaledEnv(),
      ...env,
    },
    ...(nodeArgs ? { nodeArgs } : {}),
  })
const blueprintsScaled = (): Promise<StartedServer> => startScaled()

// ---- scenarios ----------------------------------------------------------------------------------

/** Who a scenario's subject is: Blueprints with v2 or v1 clients (on PGlite, or PostgreSQL + NATS), or Socket.IO. */
type Kind = 'bp' | 'bp-v1' | 'bp-scaled' | 'bp-before' | 'bp-before-v1' | 'sio'

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

/**
 * The load generator's clients, each side's cheapest (its one core is the scarce resource): by
 * default Blueprints clients find each message's body by scanning the frame instead of JSON.parse
 * (blueprints-side.ts), and Socket.IO keeps socket.io-client, whose per-message decoding costs
 * what a raw client's does (an interleaved A/B: the same deliveries per load CPU-second, and 4%
 * fewer per Socket.IO server CPU-second with the raw client, bench/socket-io-raw.ts).
 * CHAT_BENCH_CLIENTS=library: Blueprints clients JSON.parse every frame too; =raw: Socket.IO on
 * the raw client.
 */
const CLIENTS = process.env.CHAT_BENCH_CLIENTS ?? 'cheapest'

function clientsFor(kind: Kind, rooms: number, members: number): Clients {
  const key = `${kind}:${rooms}x${members}`
  let c = clientSets.get(key)
  if (!c) {
    const meter = new Meter()
    const inflight: number[] = []
    const holder = { window: 0 }
    const side: Side =
      kind === 'sio'
        ? CLIENTS === 'raw'
          ? new SocketIoRawSide(meter, inflight, () => holder.window)
          : new SocketIoSide(meter, inflight, () => holder.window)
        : new BlueprintsSide(
            meter,
            inflight,
            () => holder.window,
            kind === 'bp-v1' || kind === 'bp-before-v1' ? 1 : 2,
            undefined,
            CLIENTS !== 'library',
          )
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
  /** `variants`: also v1 clients and the scaled deployment; `before`: this code and CHAT_BENCH_BEFORE's only. */
  shape: 'plain' | 'variants' | 'before' = 'plain',
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
  if (shape === 'before')
    return {
      name,
      description,
      subjects: [
        subject('blueprints, v2 clients', 'system', blueprints, 'bp'),
        subject('blueprints before, v2 clients', 'baseline', blueprintsIn(BEFORE), 'bp-before'),
        subject('blueprints, v1 clients', 'baseline', blueprints, 'bp-v1'),
        subject('blueprints before, v1 clients', 'baseline', blueprintsIn(BEFORE), 'bp-before-v1'),
      ],
    }
  return {
    name,
    description,
    subjects: [
      subject('blueprints, v2 clients (each message stored in PGlite)', 'system', blueprints, 'bp'),
      ...(shape === 'variants'
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
  'variants',
)

/** `fanout` against another checkout (CHAT_BENCH_BEFORE), v2 and v1 clients, nothing else: short rounds on a loaded machine. */
const fanoutBefore = BEFORE
  ? scenario(
      'fanout-before',
      'fanout (10 rooms x 50 members, 8 in flight per room) of this checkout and of the checkout in CHAT_BENCH_BEFORE, interleaved, the same clients',
      10,
      50,
      8,
      undefined,
      'before',
    )
  : undefined
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

/**
 * The ramps of the idle-connections scenario (see bench/idle-memory.ts): `first` connections, then
 * `steps` x `step` more, a sample after each; `ramps` fresh servers per subject. 12,500 connections
 * at most: with the previous ramp's in TIME_WAIT, well within the ephemeral ports. A smoke run only
 * checks that the procedure works: its few hundred connections are too few for a clean line, so it
 * takes whatever ramp it gets (`gate`).
 */
const IDLE = process.env.BENCH_SMOKE
  ? { ramps: 1, shape: { first: 50, step: 100, steps: 2, settleMs: 200 }, gate: false }
  : { ramps: 3, shape: { first: 2_500, step: 2_500, steps: 4, settleMs: 1_000 }, gate: true }

const idleTargets: IdleTarget[] = [
  {
    name: 'blueprints (PostgreSQL + NATS)',
    start: (env) => startScaled(env, PROBE_NODE_ARGS),
    side: (tag) => new BlueprintsSide(new Meter(), [], () => 0, 2, `idle${tag}`),
  },
  {
    name: 'socket.io 4 (nothing stored)',
    start: (env) => startSocketIo(env, PROBE_NODE_ARGS),
    side: (tag) => new SocketIoSide(new Meter(), [], () => 0, `idle${tag}r`),
  },
]

const idle: BenchScenario = {
  name: 'idle-connections',
  description:
    'memory per idle connection (every member subscribed to its room of 50) after full GCs, fitted over ' +
    `${IDLE.shape.first.toLocaleString('en-US')} to ${(IDLE.shape.first + IDLE.shape.step * IDLE.shape.steps).toLocaleString('en-US')} ` +
    `connections, ${IDLE.ramps} fresh server(s) each (a ramp whose RSS is not linear is replaced); ` +
    'connections 1 GiB holds. The result is the "Measured" ' +
    'lines; ops/s mean nothing here. Blueprints on PostgreSQL + NATS: PGlite would reserve ~900 MB at start',
  // No `start`: each ramp starts its own fresh server (a reused one would have retained memory).
  subjects: idleTargets.map((target, i) => {
    let summary: Record<string, number> | undefined
    return {
      name: target.name,
      role: i === 0 ? ('system' as const) : ('peer' as const),
      prepare: async () => {
        const ramps: Ramp[] = []
        let rejected = 0
        // A ramp that is not linear is replaced (isLinear), at most IDLE.ramps times.
        for (let k = 0; ramps.length < IDLE.ramps && k < IDLE.ramps * 2; k++) {
          const r = await ramp(target, IDLE.shape)
          process.stderr.write(`${describeRamp(target.name, k, r)}\n`)
          if (!IDLE.gate || isLinear(r)) ramps.push(r)
          else rejected++
        }
        if (ramps.length === 0) throw new Error(`${target.name}: no linear ramp in ${rejected}`)
        summary = summarizeRamps(ramps, rejected)
      },
      measures: () => summary,
      load: {
        kind: 'custom',
        async run() {
          // Nothing to load: the result is the measures, taken in prepare.
          await new Promise((r) => setTimeout(r, 50))
          return { ops: summary ? 1 : 0, latenciesMs: [0] }
        },
      } satisfies CustomLoad,
    }
  }),
}

export default {
  system: 'chat',
  scenarios: [idle, fanout, fanout5k, latency5k, latency5k200, ...(fanoutBefore ? [fanoutBefore] : [])],
} satisfies BenchSuite
