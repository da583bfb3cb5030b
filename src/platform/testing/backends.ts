/**
 * Test backends. Every suite runs on the embedded adapters (PGlite, memory
 * stores, in-process bus). With TEST_SERVICES=1 it runs again on the real
 * PostgreSQL, Redis and NATS, and an unreachable service fails the run.
 * Isolation is per call: a fresh schema, Redis key prefix and bus prefix.
 */
import { randomBytes } from 'node:crypto'
import { createMemoryBus } from '../bus/memory.js'
import { createNatsBus } from '../bus/nats.js'
import type { Bus } from '../bus/port.js'
import { testServicesEnabled, testServiceUrls } from '../config.js'
import { openPg } from '../db/pg.js'
import { openPglite } from '../db/pglite.js'
import type { Db } from '../db/port.js'
import { createRedis, type Redis } from '../redis/client.js'

export type BackendName = 'embedded' | 'services'

/** The backends this run covers: always `embedded`, plus `services` under TEST_SERVICES=1. */
export function backends(): BackendName[] {
  return testServicesEnabled() ? ['embedded', 'services'] : ['embedded']
}

/** A short random suffix, valid in schema names, key prefixes and subjects. */
export function uniqueId(): string {
  return randomBytes(5).toString('hex')
}

// One connection per worker process and backend, shared by the files it runs.
let pglite: Promise<Db> | undefined
let pgPool: Promise<Db> | undefined

/** The worker's shared Db of `backend`, scoped to a new unique schema (created). */
export async function testDb(backend: BackendName, schema = `t_${uniqueId()}`): Promise<Db> {
  let root: Db
  if (backend === 'embedded') {
    pglite ??= openPglite(undefined)
    root = await pglite
  } else {
    // Tests fire thousands of concurrent requests at one pool on a busy 2-core machine: let them queue.
    pgPool ??= openPg(testServiceUrls().databaseUrl, 'public', { max: 8, acquireTimeoutMs: 120_000 })
    root = await pgPool
  }
  await root.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  return root.withSchema(schema)
}

/** A Redis client with a unique key prefix (services), or undefined (embedded: memory stores). */
export async function testRedis(backend: BackendName): Promise<Redis | undefined> {
  if (backend === 'embedded') return undefined
  return createRedis(testServiceUrls().redisUrl, { keyPrefix: `test:${uniqueId()}:` })
}

/** A Bus with its own stream/prefix (services), or a fresh in-process bus. */
export async function testBus(backend: BackendName, prefix = `t${uniqueId()}`): Promise<Bus> {
  if (backend === 'embedded') return createMemoryBus()
  return createNatsBus({
    url: testServiceUrls().natsUrl,
    prefix,
    ackWaitMs: 1_000,
    streamMaxAgeMs: 10 * 60_000,
  })
}

/** Environment variables that point a child process at `backend` with unique prefixes. */
export function backendEnv(backend: BackendName, id = uniqueId()): Record<string, string> {
  const common = { DB_SCHEMA_PREFIX: `t${id}_`, REDIS_KEY_PREFIX: `test:${id}:`, BUS_PREFIX: `t${id}` }
  if (backend === 'embedded') return common
  const urls = testServiceUrls()
  return { ...common, DATABASE_URL: urls.databaseUrl, REDIS_URL: urls.redisUrl, NATS_URL: urls.natsUrl }
}
