/**
 * The URL shortener's benchmark (`npm run bench -- url-shortener`).
 *
 * - hot-redirect: GET /{code} on 1,000 codes that sit in the LRU, every
 *   visit recorded, vs a bare Fastify route answering the same 302.
 * - cold-redirect-pglite / cold-redirect-redis: the LRU turned off
 *   (URL_SHORTENER_LRU_MAX=0), so every redirect reads PGlite, or Redis in
 *   front of PostgreSQL: the cost of a miss in each deployment.
 * - unknown-repeat: a scanner probing 1,000 unknown codes over and over
 *   (negative cache); unknown-fresh: a never-seen code on every request
 *   (each one costs a database read; see the README).
 * - create-single / create-batch: links created per second, one per request
 *   or 100 per request.
 *
 * Blueprints runs at its shipped defaults (PGlite, LOG_LEVEL=info, metrics)
 * unless a scenario says otherwise; the Redis scenario needs the local
 * services (`bash scripts/services.sh up`).
 */
import { randomBytes } from 'node:crypto'
import { startBareFastify, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchSuite, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'

const KEY = 'bench-api-key-0000-0000-000000000000'
const SEEDED = 1_000
const COLD_SEEDED = 10_000

const base = { SYSTEMS: 'url-shortener', INITIAL_API_KEY: KEY }
const system = (): Promise<StartedServer> => startBlueprints({ env: base })
const noVisits = (): Promise<StartedServer> =>
  startBlueprints({ env: { ...base, URL_SHORTENER_TRACK_VISITS: 'false' }, name: 'blueprints (visits off)' })
const coldPglite = (): Promise<StartedServer> =>
  startBlueprints({ env: { ...base, URL_SHORTENER_LRU_MAX: '0' }, name: 'blueprints (LRU off, PGlite)' })
/** The scaled deployment: PostgreSQL, Redis and NATS from the local services, fresh prefixes. */
function scaledEnv(): Record<string, string> {
  const urls = testServiceUrls()
  const id = randomBytes(4).toString('hex')
  return {
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    NATS_URL: urls.natsUrl,
    DB_SCHEMA_PREFIX: `bench${id}_`,
    REDIS_KEY_PREFIX: `bench:${id}:`,
    BUS_PREFIX: `bench${id}`,
  }
}
const scaled = (): Promise<StartedServer> =>
  startBlueprints({ name: 'blueprints (PostgreSQL, Redis, NATS)', env: { ...base, ...scaledEnv() } })
const coldRedis = (): Promise<StartedServer> =>
  startBlueprints({
    name: 'blueprints (LRU off, Redis + PostgreSQL)',
    env: { ...base, ...scaledEnv(), URL_SHORTENER_LRU_MAX: '0' },
  })
const floor = (): Promise<StartedServer> =>
  startBareFastify({ BARE_REDIRECT_PATH: '/:code', BARE_REDIRECT_LOCATION: 'https://example.com/{code}' })

/** Codes seeded per server (servers are shared between scenarios: seed once). */
const seeded = new Map<string, string[]>()

async function post(url: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`)
  return res.json()
}

/** Seed `n` links through the public batch API; the codes are remembered per server. */
async function seed(server: StartedServer | undefined, n: number): Promise<void> {
  if (!server || seeded.has(server.url)) return
  const codes: string[] = []
  for (let i = 0; i < n; i += 1000) {
    const shortUrls = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
      longUrl: `https://example.com/landing/${i + j}?utm_source=bench`,
    }))
    const out = (await post(server.url, '/rest/v3/short-urls/batch', { shortUrls })) as {
      results: { ok: boolean; shortUrl: { shortCode: string } }[]
    }
    for (const r of out.results) if (r.ok) codes.push(r.shortUrl.shortCode)
  }
  seeded.set(server.url, codes)
}

/**
 * A path generator over the codes seeded on whichever server the load targets (by its URL: in an
 * A/B run, `--before`, two servers of the same subject hold different codes).
 */
function codePaths(): { path: (baseUrl: string) => string } {
  return {
    path: (baseUrl) => {
      const codes = seeded.get(baseUrl) ?? []
      return `/${codes[Math.floor(Math.random() * codes.length)]}`
    },
  }
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const randomCode = (len: number) =>
  Array.from({ length: len }, () => ALPHABET[Math.floor(Math.random() * 62)]).join('')
/** Unknown codes: 7 characters, a length no generated code of this seed has. */
const unknownPool = Array.from({ length: 1000 }, () => randomCode(7))
const unknownRepeat = () => `/${unknownPool[Math.floor(Math.random() * unknownPool.length)]}`
const unknownFresh = () => `/${randomCode(7)}`

const hot = codePaths()
const hotNoVisits = codePaths()
const hotScaled = codePaths()
const coldP = codePaths()
const coldR = codePaths()
const floorPath = () => `/${randomCode(5)}`

let createCounter = 0
const createBody = () =>
  JSON.stringify({ longUrl: `https://example.com/new/${++createCounter}/${Math.random()}` })

/** Batches of 100 from 8 concurrent clients; ops are links created (not requests). */
function batchLoad(size: number, concurrency: number) {
  return {
    kind: 'custom' as const,
    async run({ durationMs, server }: { durationMs: number; server: StartedServer | undefined }) {
      const latenciesMs: number[] = []
      let ops = 0
      let errors = 0
      const end = Date.now() + durationMs
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < end) {
            const shortUrls = Array.from({ length: size }, () => ({
              longUrl: `https://example.com/batch/${++createCounter}`,
            }))
            const t0 = performance.now()
            try {
              const out = (await post(server!.url, '/rest/v3/short-urls/batch', { shortUrls })) as {
                results: { ok: boolean }[]
              }
              ops += out.results.filter((r) => r.ok).length
              latenciesMs.push(performance.now() - t0)
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

const suite: BenchSuite = {
  system: 'url-shortener',
  scenarios: [
    {
      name: 'hot-redirect',
      description:
        'GET /{code} -> 302 on 1,000 codes cached in the LRU, each visit recorded (buffered, written every 500 ms ' +
        'to PGlite), full platform at defaults; vs the same with visits off (URL_SHORTENER_TRACK_VISITS=false); ' +
        'vs bare Fastify answering 302 on GET /:code with no lookup and no record.',
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: system,
          prepare: (s) => seed(s, SEEDED),
          load: { kind: 'http', path: hot.path, expectStatus: [302] },
        },
        {
          name: 'blueprints, visits off',
          role: 'baseline',
          start: noVisits,
          prepare: (s) => seed(s, SEEDED),
          load: { kind: 'http', path: hotNoVisits.path, expectStatus: [302] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: floorPath, expectStatus: [302] },
        },
      ],
      goals: { 'bare fastify': 0.8 },
    },
    {
      name: 'hot-redirect-postgres',
      description:
        'As hot-redirect, on the scaled deployment: visits written to PostgreSQL (a separate process, not ' +
        'pinned: it shares the machine with the load generator), Redis and NATS configured. Needs the local services.',
      subjects: [
        {
          name: 'blueprints (PostgreSQL)',
          role: 'system',
          start: scaled,
          prepare: (s) => seed(s, SEEDED),
          load: { kind: 'http', path: hotScaled.path, expectStatus: [302] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: floorPath, expectStatus: [302] },
        },
      ],
      goals: { 'bare fastify': 0.8 },
    },
    {
      name: 'cold-redirect-pglite',
      description:
        'GET /{code} -> 302 on 10,000 codes with the LRU off (URL_SHORTENER_LRU_MAX=0): every redirect reads PGlite ' +
        '(embedded PostgreSQL, one connection). Visits recorded. Informational: the cost of a miss.',
      subjects: [
        {
          name: 'blueprints (LRU off, PGlite)',
          role: 'system',
          start: coldPglite,
          prepare: (s) => seed(s, COLD_SEEDED),
          load: { kind: 'http', path: coldP.path, expectStatus: [302] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: floorPath, expectStatus: [302] },
        },
      ],
    },
    {
      name: 'cold-redirect-redis',
      description:
        'GET /{code} -> 302 on 10,000 codes with the LRU off: every redirect reads Redis (PostgreSQL behind it, ' +
        'NATS for invalidation), the scaled deployment. Needs the local services. Informational.',
      subjects: [
        {
          name: 'blueprints (LRU off, Redis)',
          role: 'system',
          start: coldRedis,
          prepare: (s) => seed(s, COLD_SEEDED),
          load: { kind: 'http', path: coldR.path, expectStatus: [302] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: floorPath, expectStatus: [302] },
        },
      ],
    },
    {
      name: 'unknown-repeat',
      description:
        'GET /{code} -> 404 for a scanner cycling through 1,000 unknown codes: answered from the negative cache ' +
        '(one database read per code per 10 s). vs bare Fastify 404 on an unrouted path.',
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: system,
          load: { kind: 'http', path: unknownRepeat, expectStatus: [404] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: () => `/x${unknownRepeat()}`, expectStatus: [404] },
        },
      ],
    },
    {
      name: 'unknown-fresh',
      description:
        'GET /{code} -> 404 where every code is new (random 7 characters): each is one PGlite read, then ' +
        'negatively cached. The worst case for a scan; informational.',
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: system,
          load: { kind: 'http', path: unknownFresh, expectStatus: [404] },
        },
        {
          name: 'bare fastify',
          role: 'baseline',
          start: floor,
          load: { kind: 'http', path: () => `/x${unknownFresh()}`, expectStatus: [404] },
        },
      ],
    },
    {
      name: 'create-single',
      description:
        'POST /rest/v3/short-urls, one link per request (API key checked, one INSERT into PGlite).',
      subjects: [
        {
          name: 'blueprints',
          role: 'system',
          start: system,
          load: {
            kind: 'http',
            method: 'POST',
            path: '/rest/v3/short-urls',
            headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
            body: createBody,
            connections: 10,
            expectStatus: [200],
          },
        },
      ],
    },
    {
      name: 'create-batch',
      description:
        'POST /rest/v3/short-urls/batch with 100 links per request, 8 clients; ops are links created.',
      subjects: [{ name: 'blueprints', role: 'system', start: system, load: batchLoad(100, 8) }],
    },
  ],
}

export default suite
