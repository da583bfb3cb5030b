/**
 * The first cache tier: an LRU in this process's memory (lru-cache), with
 * negative entries for codes known not to exist (or exhausted), so a bot
 * probing the same unknown codes is answered without leaving the process.
 *
 * A fill races an invalidation: a lookup that read the old value from a
 * lower tier may finish after an edit's invalidation has arrived, and would
 * put the old value back. Every invalidation bumps a generation counter; a
 * lookup takes the counter before it starts (`token()`), and its fill is
 * dropped when the counter moved meanwhile.
 *
 * Each entry lives a jittered time, between (1 - TTL_JITTER) and 1 times its
 * TTL: codes cached together (a start, a burst, a batch create) would
 * otherwise all expire in the same instant and be read again at once.
 */
import { LRUCache } from 'lru-cache'
import type { CacheLookup, RedirectTarget } from './ports.js'

export interface LocalCacheOptions {
  max: number
  ttlMs: number
  negativeTtlMs: number
}

/** The share of a TTL taken off at random per entry, so entries cached together expire apart. */
export const TTL_JITTER = 0.2

const MISS: CacheLookup = Object.freeze({ hit: false })
const NEGATIVE_HIT: CacheLookup = Object.freeze({ hit: true, target: null })

export class LocalCache {
  // Entries are stored as the lookup answers themselves, so a hit allocates nothing.
  private readonly lru: LRUCache<string, CacheLookup> | undefined
  private generation = 0

  constructor(private readonly opts: LocalCacheOptions) {
    this.lru =
      opts.max > 0 ? new LRUCache<string, CacheLookup>({ max: opts.max, ttl: opts.ttlMs }) : undefined
  }

  get(code: string): CacheLookup {
    return this.lru?.get(code) ?? MISS
  }

  /** The current generation; pass it to `set` after reading a lower tier. */
  token(): number {
    return this.generation
  }

  set(code: string, target: RedirectTarget | null, token: number): void {
    if (!this.lru || token !== this.generation) return
    if (target) this.lru.set(code, { hit: true, target }, { ttl: jittered(this.opts.ttlMs) })
    else this.lru.set(code, NEGATIVE_HIT, { ttl: jittered(this.opts.negativeTtlMs) })
  }

  /** Milliseconds `code` has left in this cache (0: not cached); for tests. */
  remainingTtl(code: string): number {
    return Math.max(0, this.lru?.getRemainingTTL(code) ?? 0)
  }

  /** Remember a code as unusable (maxVisits reached) until an edit invalidates it. */
  setExhausted(code: string): void {
    this.lru?.set(code, NEGATIVE_HIT, { ttl: jittered(this.opts.ttlMs) })
  }

  invalidate(codes: readonly string[]): void {
    this.generation++
    if (!this.lru) return
    for (const code of codes) this.lru.delete(code)
  }

  get size(): number {
    return this.lru?.size ?? 0
  }
}

/** `ttl` less a random share of up to TTL_JITTER, at least 1 ms. */
function jittered(ttl: number): number {
  return Math.max(1, Math.round(ttl * (1 - TTL_JITTER * Math.random())))
}
