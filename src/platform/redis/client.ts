/**
 * The one Redis client factory. Every key goes through ioredis' `keyPrefix`
 * (including the KEYS of Lua scripts), so several installs or test files
 * share one Redis without seeing each other.
 */
import { Redis, type RedisOptions } from 'ioredis'

export type { Redis } from 'ioredis'

export interface RedisClientOptions {
  keyPrefix?: string
  /** Fail commands at once while disconnected instead of queueing them (hot paths that have a fallback). */
  failFast?: boolean
  onError?: (err: Error) => void
}

/** Create a client and wait until it is connected (or throw after `connectTimeout`). */
export async function createRedis(url: string, opts: RedisClientOptions = {}): Promise<Redis> {
  const options: RedisOptions = {
    keyPrefix: opts.keyPrefix,
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: opts.failFast ? 0 : 2,
    enableOfflineQueue: !opts.failFast,
    // Reconnect forever with capped backoff: Redis coming back must heal the process.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000),
  }
  const redis = new Redis(url, options)
  // ioredis emits 'error' on every failed reconnect; unhandled, that would crash the process.
  redis.on('error', (err) => opts.onError?.(err))
  try {
    await redis.connect()
  } catch (err) {
    redis.disconnect()
    throw new Error(`cannot connect to Redis at ${redactUrl(url)}: ${(err as Error).message}`)
  }
  return redis
}

/** A URL with its password replaced, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}
