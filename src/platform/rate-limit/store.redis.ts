/**
 * The Redis store: one Lua script per algorithm (lua/<algorithm>-<nkeys>.lua)
 * makes each decision atomically on the server, so any number of processes
 * share a limit exactly. Time is read inside the script with TIME: the Redis
 * server is the only clock, so the clocks of the processes do not matter.
 * Each call is a single EVALSHA, which ioredis can pipeline.
 *
 * A script takes the operation in ARGV (consume, peek or refund): the three
 * share every step but the middle one, and one script per algorithm keeps
 * each algorithm's arithmetic in one place, next to its TypeScript twin.
 *
 * Keys: `rl:<namespace>:{<key>}` (plus `:log` and `:sum` for the log). The
 * braces make every key of one limiter key hash to the same Redis Cluster
 * slot. Each key is given a PEXPIRE of its `resetMs`, and is deleted when it
 * is fresh again, so idle keys never accumulate. Redis errors (down,
 * timeout) reject the promise: failing open or closed is the caller's choice.
 */
import type { Redis } from 'ioredis'
import { loadScripts, runScript } from '../redis/scripts.js'
import type { AlgorithmName, Limits, RateLimitResult, RateLimitStore } from './types.js'

const SCRIPTS = loadScripts(new URL('./lua/', import.meta.url))

export interface RedisStoreOptions {
  redis: Redis
  /** Separates limiters sharing a Redis; default `<algorithm>:<limit>:<periodMs>:<burst>`. */
  namespace?: string
}

/** Create a Redis store for one algorithm and its limits. */
export function createRedisStore(
  algorithm: AlgorithmName,
  limits: Limits,
  { redis, namespace }: RedisStoreOptions,
): RateLimitStore {
  const script = SCRIPTS.get(algorithm)
  if (!script) throw new Error(`no Lua script for ${algorithm}`)
  const ns = namespace ?? `${algorithm}:${limits.limit}:${limits.periodMs}:${limits.burst}`
  const keysOf = (key: string): string[] => {
    const base = `rl:${ns}:{${key}}`
    return script.numberOfKeys === 2 ? [`${base}:log`, `${base}:sum`] : [base]
  }
  const { limit, periodMs, burst } = limits

  return {
    async apply(key, op, cost): Promise<RateLimitResult> {
      const r = await runScript<number[]>(redis, script, keysOf(key), [op, cost, limit, periodMs, burst])
      return {
        allowed: r[0] === 1,
        remaining: r[1]!,
        limit: r[2]!,
        resetMs: r[3]!,
        retryAfterMs: r[4]!,
      }
    },
    async reset(key) {
      await redis.del(...keysOf(key))
    },
  }
}
