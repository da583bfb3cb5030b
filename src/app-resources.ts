/**
 * The platform's shared resources for one process: the database (PGlite in DATA_DIR, locked to
 * this process, or PostgreSQL), Redis when configured, and the Bus (NATS JetStream, or in
 * process). What this opens (not what `overrides` passed in) is pushed onto `owned`, to be
 * closed in reverse by the composition root.
 */
import { createMemoryBus } from './platform/bus/memory.js'
import { createNatsBus } from './platform/bus/nats.js'
import type { Bus } from './platform/bus/port.js'
import type { Config } from './platform/config.js'
import type { DataDirLock } from './platform/data-dir/lock.js'
import { lockDataDir, openDb } from './platform/db/open.js'
import type { Db } from './platform/db/port.js'
import type { ReadinessCheck } from './platform/http/health.js'
import { createRedis, type Redis, redactUrl } from './platform/redis/client.js'
import type { Logger } from './platform/telemetry/logger.js'

export interface Resources {
  db: Db
  redis: Redis | undefined
  bus: Bus
  /** The data folder's lock (embedded mode only). */
  lock: DataDirLock | undefined
}

/** Open (or take from `overrides`) the database, Redis and the Bus; a failure leaves `owned` to close. */
export async function openResources(
  config: Config,
  overrides: { db?: Db; redis?: Redis | null; bus?: Bus },
  logger: Logger,
  owned: (() => Promise<void>)[],
): Promise<Resources> {
  let lock: DataDirLock | undefined
  // One process per embedded data folder: refused here, before PGlite opens, when another holds it.
  if (!overrides.db && !config.databaseUrl) {
    const held = await lockDataDir(config)
    lock = held
    owned.push(() => held.release())
  }
  const db =
    overrides.db ?? (await openDb(config, (err) => logger.warn({ err }, 'database connection error'), lock))
  if (!overrides.db) owned.push(() => db.close())
  let redis: Redis | undefined
  if (overrides.redis !== undefined) redis = overrides.redis ?? undefined
  else if (config.redisUrl) {
    const url = config.redisUrl
    const r = await createRedis(url, {
      keyPrefix: config.redisKeyPrefix,
      onError: (err) => logger.warn({ err: err.message, redis: redactUrl(url) }, 'redis error'),
    })
    redis = r
    owned.push(async () => void (await r.quit().catch(() => r.disconnect())))
  }
  const bus =
    overrides.bus ??
    (config.natsUrl
      ? await createNatsBus({ url: config.natsUrl, prefix: config.busPrefix, logger })
      : createMemoryBus({ onDead: (subject, err) => logger.error({ subject, err }, 'bus message dead') }))
  if (!overrides.bus) owned.push(() => bus.close())
  return { db, redis, bus, lock }
}

/** The readiness checks of the shared resources (`/health/ready`); systems add their own. */
export function resourceReadiness(r: Resources): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = { database: () => r.db.ping(), bus: () => r.bus.ping() }
  const redis = r.redis
  if (redis)
    checks.redis = async () => {
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING answer')
    }
  return checks
}
