/**
 * The Redis store: one Lua script per atomic operation and algorithm
 * (lua/<algorithm>/<op>-<nkeys>.lua: consume, peek, refund) makes each
 * decision atomically on the server, so any number of processes share a
 * limit exactly. Time is read inside the script with TIME: the Redis server
 * is the only clock, so the clocks of the processes do not matter. Each call
 * is a single EVALSHA, which ioredis can pipeline.
 *
 * The scripts are built like the TypeScript side: each algorithm's state
 * functions (lua/<algorithm>/state.lib.lua, the twin of <algorithm>.ts) and
 * the three operations written once over them (lua/lib/<op>.lib.lua, the twin
 * of applyOp in algorithm.ts), put together by the loader's `--!include`.
 *
 * Keys: `rl:<namespace>:{<key>}` (plus `:log` and `:sum` for the log). The
 * braces make every key of one limiter key hash to the same Redis Cluster
 * slot. Each key is given a PEXPIRE of its `resetMs`, and is deleted when it
 * is fresh again, so idle keys never accumulate. Redis errors (down,
 * timeout) reject the promise: failing open or closed is the caller's choice.
 */
import type { Redis } from 'ioredis'
import { type LuaScript, loadScripts, runScript } from '../redis/scripts.js'
import {
  ALGORITHMS,
  type AlgorithmName,
  type Limits,
  type RateLimitResult,
  type RateLimitStore,
} from './types.js'

/** The scripts of each algorithm, by operation. */
export const SCRIPTS: ReadonlyMap<AlgorithmName, ReadonlyMap<string, LuaScript>> = new Map(
  ALGORITHMS.map((a) => [a, loadScripts(new URL(`./lua/${a}/`, import.meta.url))]),
)

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
  const scripts = SCRIPTS.get(algorithm)
  const ops = { consume: scripts?.get('consume'), peek: scripts?.get('peek'), refund: scripts?.get('refund') }
  if (!ops.consume || !ops.peek || !ops.refund) throw new Error(`missing Lua scripts for ${algorithm}`)
  const ns = namespace ?? `${algorithm}:${limits.limit}:${limits.periodMs}:${limits.burst}`
  const keysOf = (key: string): string[] => {
    const base = `rl:${ns}:{${key}}`
    return ops.consume!.numberOfKeys === 2 ? [`${base}:log`, `${base}:sum`] : [base]
  }
  const { limit, periodMs, burst } = limits

  return {
    async apply(key, op, cost): Promise<RateLimitResult> {
      const r = await runScript<number[]>(redis, ops[op]!, keysOf(key), [cost, limit, periodMs, burst])
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
