import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../config.js'
import { createRedis, type Redis } from '../redis/client.js'
import { backends, uniqueId } from '../testing/backends.js'
import { createRateLimiter, type RateLimiter } from './limiter.js'
import { type LimiterProcesses, type LimiterSpec, rateLimitContract } from './rate-limit.contract.js'
import { ALGORITHMS } from './types.js'

/** One memory limiter per spec: a single process. */
function memoryProcesses(): LimiterProcesses {
  const limiters = new Map<string, RateLimiter>()
  return {
    async open(spec) {
      const id = JSON.stringify(spec)
      let rl = limiters.get(id)
      if (!rl) {
        rl = createRateLimiter({ ...spec, store: 'memory' })
        limiters.set(id, rl)
      }
      return rl
    },
    async close() {},
  }
}

/** Each process has its own ioredis connection; all share one fresh key prefix. */
function redisProcesses(prefix = `test:${uniqueId()}:`) {
  const clients = new Map<number, Promise<Redis>>()
  const client = (p: number) => {
    let c = clients.get(p)
    if (!c) {
      c = createRedis(testServiceUrls().redisUrl, { keyPrefix: prefix })
      clients.set(p, c)
    }
    return c
  }
  /** The keys under the prefix, without it (KEYS patterns are not prefixed by ioredis; DEL is). */
  const ownKeys = async () => (await (await client(0)).keys(`${prefix}*`)).map((k) => k.slice(prefix.length))
  return {
    client,
    ownKeys,
    async open(spec: LimiterSpec, process = 0): Promise<RateLimiter> {
      return createRateLimiter({ ...spec, store: { redis: await client(process) } })
    },
    async close() {
      const keys = clients.size > 0 ? await ownKeys() : []
      if (keys.length) await (await client(0)).del(...keys)
      await Promise.all([...clients.values()].map(async (c) => (await c).quit()))
    },
  }
}

describe.each(backends())('%s', (backend) => {
  if (backend === 'embedded') {
    rateLimitContract('memory', async () => memoryProcesses())
  } else {
    // Four connections stand in for four processes sharing one Redis.
    rateLimitContract('Redis', async () => redisProcesses(), { processes: 4 })
    redisOnly()
  }
})

/** What only the Redis store can show: expiry of its keys, and Redis going away. */
function redisOnly(): void {
  describe('Redis store', () => {
    it.each(ALGORITHMS)('%s: keys expire with resetMs and vanish when fresh again', async (algorithm) => {
      const procs = redisProcesses()
      try {
        const rl = await procs.open({ algorithm, limit: 4, periodMs: 60_000 })
        const raw = await procs.client(0)
        const r = await rl.consume('user-1', 2)
        const keys = await procs.ownKeys()
        expect(keys.length).toBe(algorithm === 'sliding-window-log' ? 2 : 1)
        for (const k of keys) {
          const ttl = await raw.pttl(k)
          expect(ttl).toBeGreaterThan(0)
          expect(ttl).toBeLessThanOrEqual(r.resetMs)
        }
        await rl.refund('user-1', 4)
        expect(await procs.ownKeys()).toEqual([])
      } finally {
        await procs.close()
      }
    })

    it('rejects (never admits) while Redis is unreachable', async () => {
      const redis = await createRedis(testServiceUrls().redisUrl, {
        keyPrefix: `test:${uniqueId()}:`,
        failFast: true,
      })
      const rl = createRateLimiter({ algorithm: 'gcra', limit: 5, periodMs: 1000, store: { redis } })
      redis.disconnect()
      await expect(rl.consume('k')).rejects.toThrow()
    })

    it('fails to connect, clearly, when Redis is not there', async () => {
      await expect(createRedis('redis://127.0.0.1:1')).rejects.toThrow(/cannot connect to Redis/)
    })
  })
}
