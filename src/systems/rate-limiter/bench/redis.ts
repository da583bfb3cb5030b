/**
 * The Redis connections of the bench: one per subject, all built here with
 * the same options, so ours and the peers differ only in what they send.
 *
 * The options are createRedis's (src/platform/redis/client.ts) plus
 * `enableAutoPipelining`, which the rate limiter service also turns on for
 * its decisions (index.ts): commands issued in the same tick share one
 * write. createRedis has no option for it, hence a client built here. The
 * peers (rate-limiter-flexible, @fastify/rate-limit) get the very same
 * options, auto-pipelining included.
 *
 * Every key of a run sits under one random prefix (ioredis `keyPrefix`
 * also prefixes the KEYS of Lua scripts), dropped by `dropPrefix`.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { testServiceUrls } from '../../../platform/config.js'

/** The local Redis (REDIS_URL, default 127.0.0.1:6379). */
export const redisUrl = (): string => testServiceUrls().redisUrl

/** A prefix no other run uses: `bench:rl:<hex>:`. */
export const runPrefix = (): string => `bench:rl:${randomBytes(4).toString('hex')}:`

/** A connected client with the bench's options; `keyPrefix` separates the subjects' keys. */
export async function benchRedis(keyPrefix: string, url = redisUrl()): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  })
  redis.on('error', () => {}) // a failed call rejects and is counted; reconnect noise is not
  await redis.connect()
  return redis
}

/** Delete every key under `prefix` (SCAN + UNLINK: never blocks Redis with KEYS). */
export async function dropPrefix(prefix: string, url = redisUrl()): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000 })
  redis.on('error', () => {})
  await redis.connect()
  let dropped = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) dropped += await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return dropped
}
