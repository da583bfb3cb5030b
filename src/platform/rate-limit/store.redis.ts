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
 * Concurrent decisions are batched: those asked for in the same tick go in
 * one script call per operation (see Batcher).
 *
 * Keys: `rl:<namespace>:{<key>}` (plus `:log` and `:sum` for the log). The
 * braces make every key of one limiter key hash to the same Redis Cluster
 * slot. Each key is given a PEXPIRE of its `resetMs`, and is deleted when it
 * is fresh again, so idle keys never accumulate. Redis errors (down,
 * timeout) reject the promise: failing open or closed is the caller's choice.
 *
 * Deadlines: a call that times out on the client is still queued on the
 * socket; if Redis stalls and then resumes it would run, and consume what
 * the caller already answered without. So each call carries a deadline in
 * Redis time (RedisClock) that its script checks against TIME before it
 * touches anything: late, it applies nothing and answers an error. By default
 * the deadline is the client's `commandTimeout`.
 */
import type { Redis } from 'ioredis'
import { type LuaScript, loadScripts, runScript } from '../redis/scripts.js'
import { type RedisClock, redisClockOf } from './redis-clock.js'
import {
  ALGORITHMS,
  type AlgorithmName,
  type Limits,
  type Op,
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
  /**
   * Decisions asked for in the same tick go to Redis in one script call (default true; always off
   * on a Redis Cluster client, where the keys of one call would span slots).
   */
  batch?: boolean
  /**
   * A call must be applied within this many ms of being sent, or not at all (its script checks it
   * against Redis's clock). Default: the client's `commandTimeout`, so that a call the client gave
   * up on never applies later; 0 or no timeout: no deadline.
   */
  deadlineMs?: number
}

/** The most decisions one script call carries. */
export const MAX_BATCH = 256

interface Pending {
  keys: string[]
  cost: number
  resolve: (r: RateLimitResult) => void
  reject: (err: unknown) => void
}

function resultAt(r: number[], i: number): RateLimitResult {
  const j = i * 5
  return {
    allowed: r[j] === 1,
    remaining: r[j + 1]!,
    limit: r[j + 2]!,
    resetMs: r[j + 3]!,
    retryAfterMs: r[j + 4]!,
  }
}

/**
 * Collects the decisions of one tick per operation and sends each batch as one EVALSHA. Under
 * concurrency this saves a command, a Lua call and a reply per decision, on both sides: the reason
 * the Redis store outruns one-command-per-decision limiters. A lone decision waits for nothing
 * but the end of the current tick. A failed call rejects every decision it carried.
 */
class Batcher {
  private readonly queues: Record<Op, Pending[]> = { consume: [], peek: [], refund: [] }
  private scheduled = false

  constructor(
    private readonly redis: Redis,
    private readonly scripts: Record<Op, LuaScript>,
    private readonly limitArgs: readonly number[],
    private readonly withDeadline: WithDeadline,
  ) {}

  add(op: Op, keys: string[], cost: number): Promise<RateLimitResult> {
    return new Promise((resolve, reject) => {
      this.queues[op].push({ keys, cost, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        process.nextTick(flushBatcher, this)
      }
    })
  }

  flush(): void {
    this.scheduled = false
    for (const op of ['consume', 'peek', 'refund'] as const) {
      const queue = this.queues[op]
      if (queue.length === 0) continue
      this.queues[op] = []
      for (let i = 0; i < queue.length; i += MAX_BATCH) this.send(op, queue.slice(i, i + MAX_BATCH))
    }
  }

  private send(op: Op, items: Pending[]): void {
    const keys: string[] = []
    for (const p of items) for (const k of p.keys) keys.push(k)
    this.withDeadline((deadline) => {
      const args: number[] = [...this.limitArgs, deadline]
      for (const p of items) args.push(p.cost)
      return runScript<number[]>(this.redis, this.scripts[op], keys, args)
    }).then(
      (r) => {
        for (let i = 0; i < items.length; i++) items[i]!.resolve(resultAt(r, i))
      },
      (err) => {
        for (const p of items) p.reject(err)
      },
    )
  }
}

/**
 * Sends a call with the deadline (Redis ms; 0: none) of a call sent now: synchronously once the
 * clock has a sample, so a decision pays no extra promise for it.
 */
type WithDeadline = <T>(send: (deadline: number) => Promise<T>) => Promise<T>

function deadlineOf(redis: Redis, deadlineMs: number | undefined): WithDeadline {
  const ms = deadlineMs ?? (redis.options as { commandTimeout?: number } | undefined)?.commandTimeout ?? 0
  if (!(ms > 0)) return (send) => send(0)
  const clock: RedisClock = redisClockOf(redis)
  return (send) => {
    const giveUpAt = performance.now() + ms
    const d = clock.deadline(ms)
    const sent = typeof d === 'number' ? send(d) : d.then(send)
    return sent.catch((err: unknown) => afterDeadline(err, giveUpAt))
  }
}

/**
 * Rethrows a timeout no earlier than the deadline it was sent with. Node's timers run on libuv's
 * coarse clock and can fire a few ms before `performance.now()` says the timeout is up; a caller
 * told of the timeout that early could act (fall back, retry) while its call can still arrive in
 * time and apply. Waiting out the rest (1 ms past, as the script compares whole ms) keeps "gave up"
 * after the deadline. Other errors are rethrown at once.
 */
async function afterDeadline(err: unknown, giveUpAt: number): Promise<never> {
  if (err instanceof Error && /timed out/i.test(err.message)) {
    // A loop, since the timer that waits is as coarse as the one that fired.
    for (let wait = giveUpAt + 1 - performance.now(); wait > 0; wait = giveUpAt + 1 - performance.now())
      await new Promise((r) => setTimeout(r, Math.ceil(wait)))
  }
  throw err
}

function flushBatcher(b: Batcher): void {
  b.flush()
}

/** Create a Redis store for one algorithm and its limits. */
export function createRedisStore(
  algorithm: AlgorithmName,
  limits: Limits,
  { redis, namespace, batch = true, deadlineMs }: RedisStoreOptions,
): RateLimitStore {
  const byOp = SCRIPTS.get(algorithm)
  const consume = byOp?.get('consume')
  const peek = byOp?.get('peek')
  const refund = byOp?.get('refund')
  if (!consume || !peek || !refund) throw new Error(`missing Lua scripts for ${algorithm}`)
  const scripts: Record<Op, LuaScript> = { consume, peek, refund }
  const ns = namespace ?? `${algorithm}:${limits.limit}:${limits.periodMs}:${limits.burst}`
  const keysOf = (key: string): string[] => {
    const base = `rl:${ns}:{${key}}`
    return consume.numberOfKeys === 2 ? [`${base}:log`, `${base}:sum`] : [base]
  }
  const limitArgs = [limits.limit, limits.periodMs, limits.burst]
  const isCluster = (redis as unknown as { isCluster?: boolean }).isCluster === true
  const withDeadline = deadlineOf(redis, deadlineMs)
  const batcher = batch && !isCluster ? new Batcher(redis, scripts, limitArgs, withDeadline) : undefined

  return {
    async apply(key, op, cost): Promise<RateLimitResult> {
      if (batcher) return batcher.add(op, keysOf(key), cost)
      const keys = keysOf(key)
      const r = await withDeadline((d) =>
        runScript<number[]>(redis, scripts[op], keys, [...limitArgs, d, cost]),
      )
      return resultAt(r, 0)
    },
    async reset(key) {
      await redis.del(...keysOf(key))
    },
  }
}
