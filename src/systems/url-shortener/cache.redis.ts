/**
 * The second cache tier: Redis, shared by every process. A process whose
 * LRU misses asks Redis before PostgreSQL, so a code read by one process is
 * warm for all of them, and a negative entry written by one stops a scan of
 * unknown codes on all of them.
 *
 * Writes go through `set-if-newer-1.lua`, which keeps the newer of two
 * versions of an entry (see the script). Reads are a plain GET.
 *
 * Redis is an accelerator here, never a dependency of correctness: the
 * client fails fast (no offline queue), each call has a short timeout, and
 * any failure makes the caller fall through to PostgreSQL.
 */
import type { Redis } from 'ioredis'
import { loadScripts, runScript } from '../../platform/redis/scripts.js'
import type { CacheLookup, RedirectTarget, SharedCache } from './ports.js'

const SCRIPTS = loadScripts(new URL('./lua/', import.meta.url))
const SET_IF_NEWER = SCRIPTS.get('set-if-newer')!
const MISS: CacheLookup = Object.freeze({ hit: false })

export interface RedisCacheOptions {
  ttlMs: number
  negativeTtlMs: number
  /** Per-call timeout; a slower Redis is treated as down for that call. */
  timeoutMs?: number
}

const key = (code: string) => `code:${code}`

function encode(target: RedirectTarget | null): string {
  return target ? JSON.stringify(target) : '-'
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

export function createRedisCache(redis: Redis, opts: RedisCacheOptions): SharedCache {
  const timeoutMs = opts.timeoutMs ?? 100
  const ttlFor = (target: RedirectTarget | null) => (target ? opts.ttlMs : opts.negativeTtlMs)
  return {
    async get(code) {
      const raw = await withTimeout(redis.get(key(code)), timeoutMs)
      if (raw === null) return MISS
      const bar = raw.indexOf('|')
      const payload = raw.slice(bar + 1)
      return { hit: true, target: payload === '-' ? null : (JSON.parse(payload) as RedirectTarget) }
    },
    async put(code, target, version) {
      await withTimeout(
        runScript(redis, SET_IF_NEWER, [key(code)], [version, encode(target), ttlFor(target)]),
        timeoutMs,
      )
    },
    async putMany(entries) {
      if (entries.length === 0) return
      // A delete's "gone" marker lives as long as a positive entry: it must outlive any slow
      // reader that could still try to write the old value back.
      await withTimeout(
        Promise.all(
          entries.map((e) =>
            runScript(redis, SET_IF_NEWER, [key(e.code)], [e.version, encode(e.target), opts.ttlMs]),
          ),
        ),
        timeoutMs * 10,
      )
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
