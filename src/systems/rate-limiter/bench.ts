/**
 * The rate limiter's benchmark (`npm run bench -- rate-limiter`), issue 4:
 *
 * - library-*: decisions/s of the library (src/platform/rate-limit) against
 *   rate-limiter-flexible, in this process, 64 decisions in flight, on Redis
 *   and in memory, on 50,000 distinct keys (admitted) and on one hot key
 *   (denied). rate-limiter-flexible's RateLimiterRedis/RateLimiterMemory are
 *   fixed windows (points per duration), so ours runs `fixed-window` against
 *   them; our token-bucket and gcra run alongside on Redis, labelled.
 * - http-*: the same route on bare Fastify unprotected, behind our plugin,
 *   and behind @fastify/rate-limit, memory and Redis, nothing refused: what
 *   each plugin costs per request.
 * - rls-*: the service (`node --import tsx src/main.ts`, SYSTEMS=rate-limiter)
 *   answering Envoy's ShouldRateLimit over gRPC, and the same decision as
 *   JSON over HTTP, on memory and on Redis.
 *
 * Everything runs interleaved in rounds (bench/README.md): on this shared
 * 2-core machine only ratios taken within a round are worth quoting. Redis
 * is the local one (`bash scripts/services.sh up`), not pinned: it shares
 * the machine with both sides. Keys live under a random `bench:rl:<hex>:`
 * prefix, dropped before each Redis scenario; what the last one leaves
 * expires within 60 s (every key has a TTL of at most one window).
 *
 * This file is also the entry of the plugin scenarios' servers (env
 * RL_BENCH_HTTP): only bench.ts may import devDependencies such as
 * @fastify/rate-limit (.dependency-cruiser.cjs), so the peer is registered
 * here and handed to bench/http-server.ts.
 */
import fastifyRateLimit from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { startChild } from '../../../bench/harness/child.js'
import { listeningUrlFromLine, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchScenario, BenchSubject, BenchSuite, StartedServer } from '../../../bench/types.js'
import type { AlgorithmName } from '../../platform/rate-limit/index.js'
import {
  clientOf,
  HTTP_CLIENTS,
  HTTP_LIMIT,
  HTTP_WINDOW_MS,
  type HttpVariant,
  isHttpVariant,
  type RegisterPeer,
  serveHttp,
} from './bench/http-server.js'
import { decisionLoad, keyOf, limitOf, ours, WINDOW_MS, type Workload } from './bench/library.js'
import { benchRedis, dropPrefix, redisUrl, runPrefix } from './bench/redis.js'
import { grpcLoad, rlsJsonBody } from './bench/rls-load.js'

/** @fastify/rate-limit as its README sets it up, with the same key, window and limit as ours. */
const registerPeer: RegisterPeer = async (app, redis) => {
  await app.register(fastifyRateLimit, {
    max: HTTP_LIMIT,
    timeWindow: HTTP_WINDOW_MS,
    keyGenerator: clientOf,
    ...(redis ? { redis, nameSpace: 'frl:' } : {}),
  })
}

// Child mode: this process is one of the plugin scenarios' servers.
const serverVariant = process.env.RL_BENCH_HTTP
if (serverVariant !== undefined) {
  if (!isHttpVariant(serverVariant)) throw new Error(`unknown RL_BENCH_HTTP=${serverVariant}`)
  await serveHttp(serverVariant, registerPeer)
}

const PREFIX = runPrefix()
const RLF_NAME = {
  redis: 'rate-limiter-flexible RateLimiterRedis',
  memory: 'rate-limiter-flexible RateLimiterMemory',
}

// ---- library: in-process subjects --------------------------------------------------------------

/** rate-limiter-flexible answers "over the limit" by rejecting with a RateLimiterRes: a decision. */
const rlfDecision = (rejection: unknown) => rejection instanceof RateLimiterRes

type Call = (i: number) => Promise<unknown>

/** A subject whose decision function is built in `prepare` (Redis connection opened then). */
function librarySubject(
  name: string,
  role: BenchSubject['role'],
  build: (redis: Redis | undefined) => Call,
  store: 'redis' | 'memory',
  isDecision?: (r: unknown) => boolean,
): BenchSubject {
  let call: Call | undefined
  return {
    name,
    role,
    prepare: async () => {
      if (call) return
      call = build(store === 'redis' ? await benchRedis(`${PREFIX}lib:`) : undefined)
    },
    load: { kind: 'custom', run: decisionLoad(() => call, isDecision) },
  }
}

const oursSubject = (
  alg: AlgorithmName,
  w: Workload,
  store: 'redis' | 'memory',
  role: BenchSubject['role'],
) =>
  librarySubject(
    `blueprints ${alg}${role === 'system' ? '' : ' (not a fixed window)'}`,
    role,
    (redis) => {
      const limiter = ours(alg, w, redis)
      const key = keyOf(w)
      return (i) => limiter.consume(key(i))
    },
    store,
  )

const rlfSubject = (w: Workload, store: 'redis' | 'memory') =>
  librarySubject(
    RLF_NAME[store],
    'peer',
    (redis) => {
      const opts = { points: limitOf(w), duration: WINDOW_MS / 1000, keyPrefix: `rlf-${w}` }
      const rlf = redis ? new RateLimiterRedis({ ...opts, storeClient: redis }) : new RateLimiterMemory(opts)
      const key = keyOf(w)
      return (i) => rlf.consume(key(i))
    },
    store,
    rlfDecision,
  )

/** Drop the keys earlier scenarios left (runs before the scenario's warm-up). */
const cleanRedis = async () => {
  await dropPrefix(PREFIX)
}

function libraryScenario(store: 'redis' | 'memory', w: Workload): BenchScenario {
  const subjects = [oursSubject('fixed-window', w, store, 'system'), rlfSubject(w, store)]
  if (store === 'redis' && w === 'distinct')
    subjects.push(
      oursSubject('token-bucket', w, store, 'baseline'),
      oursSubject('gcra', w, store, 'baseline'),
    )
  if (store === 'redis') subjects[0] = { ...subjects[0]!, prepare: withClean(subjects[0]!.prepare) }
  const what =
    w === 'distinct'
      ? '50,000 distinct keys, limit 1,000,000 per 60 s: every decision admits (and writes)'
      : 'one hot key, limit 100 per 60 s: nearly every decision is a denial'
  const how =
    store === 'redis'
      ? 'Redis (local, one ioredis connection per subject, same options for both: enableAutoPipelining on, ' +
        'maxRetriesPerRequest 2). Ours: one EVALSHA per decision, time from Redis TIME; rate-limiter-flexible: ' +
        'one EVALSHA (SET NX EX + INCRBY + PTTL) per decision, window from the first hit.'
      : 'memory (this process). Ours: a Map with LRU sweep; rate-limiter-flexible: a Map with a timer per key and window.'
  const denial =
    w === 'hot'
      ? ' Denials: ours resolves { allowed: false } and writes nothing; rate-limiter-flexible rejects with a ' +
        'RateLimiterRes and still increments.'
      : ''
  return {
    name: `library-${store}${w === 'hot' ? '-hot-key' : ''}`,
    description:
      `consume() decisions/s, 64 in flight, in the bench process: fixed window vs fixed window, ${what}, on ${how}${denial}` +
      (subjects.length > 2 ? ' Our token-bucket and gcra are shown for reference (other algorithms).' : ''),
    subjects,
    goals: { [RLF_NAME[store]]: store === 'redis' ? 1.5 : 1 },
  }
}

function withClean(prepare: BenchSubject['prepare']): BenchSubject['prepare'] {
  return async (server) => {
    await cleanRedis()
    await prepare?.(server)
  }
}

// ---- http: the plugins on bare Fastify, in child processes -------------------------------------

const httpServer = (variant: HttpVariant) => (): Promise<StartedServer> =>
  startChild({
    name: `fastify ${variant}`,
    entry: 'src/systems/rate-limiter/bench.ts',
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      RL_BENCH_HTTP: variant,
      ...(variant.endsWith('-redis')
        ? { REDIS_URL: redisUrl(), RL_BENCH_REDIS_PREFIX: `${PREFIX}http:` }
        : {}),
    },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/ping?c=ready',
    readyStatus: 200,
  })
const servers = {
  unprotected: httpServer('unprotected'),
  'blueprints-memory': httpServer('blueprints-memory'),
  'blueprints-redis': httpServer('blueprints-redis'),
  'peer-memory': httpServer('peer-memory'),
  'peer-redis': httpServer('peer-redis'),
}

let httpClient = 0
const pingPath = () => `/ping?c=${httpClient++ % HTTP_CLIENTS}`
const ping = { kind: 'http' as const, path: pingPath, expectStatus: [200] }

function httpScenario(store: 'memory' | 'redis'): BenchScenario {
  const peer = `@fastify/rate-limit (${store})`
  return {
    name: `http-plugin-${store}`,
    description:
      'GET /ping?c=<1 of 1,000 clients> -> 200 {"ok":true} on bare Fastify 5 (child process, core 0), 50 connections: ' +
      `our rateLimitPlugin (fixed window, ${store}) vs @fastify/rate-limit (${store === 'redis' ? 'its Redis store, same ioredis options' : 'its default LRU store'}) ` +
      'vs the route unprotected. Both limit per client, 60 s window, a limit never reached (nothing refused), ' +
      'and send the same three X-RateLimit-* headers (ours with IETF headers off).',
    subjects: [
      {
        name: `blueprints plugin (${store})`,
        role: 'system',
        start: servers[`blueprints-${store}`],
        ...(store === 'redis' ? { prepare: withClean(undefined) } : {}),
        load: ping,
      },
      { name: peer, role: 'peer', start: servers[`peer-${store}`], load: ping },
      { name: 'unprotected', role: 'baseline', start: servers.unprotected, load: ping },
    ],
  }
}

// ---- rls: the service over gRPC and JSON -------------------------------------------------------

const RLS_CONCURRENCY = 50
const rlsEnv = { SYSTEMS: 'rate-limiter', LOG_LEVEL: 'warn' }
const rlsServers = {
  memory: (): Promise<StartedServer> => startBlueprints({ name: 'rate limiter (memory)', env: rlsEnv }),
  redis: (): Promise<StartedServer> =>
    startBlueprints({
      name: 'rate limiter (Redis)',
      env: { ...rlsEnv, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: `${PREFIX}svc:` },
    }),
}

function rlsScenario(store: 'memory' | 'redis'): BenchScenario {
  return {
    name: `rls-${store}`,
    description:
      `The service (src/main.ts, SYSTEMS=rate-limiter, LOG_LEVEL=warn, example.yaml, store ${store}${store === 'redis' ? ', auto-pipelined' : ''}): ` +
      'ShouldRateLimit over gRPC (grpc-js client in the bench process, one channel, 50 calls in flight) vs the ' +
      'same request as POST /rate-limiter/json (autocannon, 50 connections). One descriptor remote_address=10.0.x.y ' +
      'over 65,536 addresses (token bucket 10/s, burst 20): nothing is refused. OVER_LIMIT, errors and store ' +
      'fallbacks would count as errors.',
    subjects: [
      {
        name: `gRPC ShouldRateLimit (${store})`,
        role: 'system',
        start: rlsServers[store],
        ...(store === 'redis' ? { prepare: withClean(undefined) } : {}),
        load: { kind: 'custom', run: grpcLoad(RLS_CONCURRENCY) },
      },
      {
        name: `POST /rate-limiter/json (${store})`,
        role: 'baseline',
        start: rlsServers[store],
        load: {
          kind: 'http',
          method: 'POST',
          path: '/rate-limiter/json',
          headers: { 'content-type': 'application/json' },
          body: rlsJsonBody,
          connections: RLS_CONCURRENCY,
          expectStatus: [200],
        },
      },
    ],
  }
}

const suite: BenchSuite = {
  system: 'rate-limiter',
  scenarios: [
    libraryScenario('redis', 'distinct'),
    libraryScenario('redis', 'hot'),
    libraryScenario('memory', 'distinct'),
    libraryScenario('memory', 'hot'),
    httpScenario('memory'),
    httpScenario('redis'),
    rlsScenario('memory'),
    rlsScenario('redis'),
  ],
}

export default suite
