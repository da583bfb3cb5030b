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
 */
import { LRUCache } from 'lru-cache'
import type { CacheLookup, RedirectTarget } from './ports.js'

export interface LocalCacheOptions {
  max: number
  ttlMs: number
  negativeTtlMs: number
}

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
    if (target) this.lru.set(code, { hit: true, target })
    else this.lru.set(code, NEGATIVE_HIT, { ttl: this.opts.negativeTtlMs })
  }

  /** Remember a code as unusable (maxVisits reached) until an edit invalidates it. */
  setExhausted(code: string): void {
    this.lru?.set(code, NEGATIVE_HIT, { ttl: this.opts.ttlMs })
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
