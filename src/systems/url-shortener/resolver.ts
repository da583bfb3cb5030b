/**
 * Code -> redirect target, through three tiers: this process's LRU, then
 * Redis (when configured), then PostgreSQL. Whatever a lower tier answers,
 * found or not found, is written back to the tiers above it, so a code (or
 * an unknown code) costs one database read per cluster per cache lifetime.
 *
 * Concurrent misses on one code share a single lookup (a burst on a cold
 * code is one query, not one per request), and the database reads of one
 * event-loop turn are one statement (TargetLoader). The LRU answers
 * synchronously, so a hot redirect never waits on a promise.
 */
import type { Logger } from '../../platform/telemetry/logger.js'
import type { LocalCache } from './cache.lru.js'
import type { CacheLookup, RedirectTarget, SharedCache, ShortUrlStore } from './ports.js'
import { TargetLoader } from './target-loader.js'

export type Tier = 'lru' | 'redis' | 'db'

export interface ResolverObserver {
  lookup(tier: Tier, found: boolean): void
  sharedError(err: unknown): void
}

export class RedirectResolver {
  private readonly inFlight = new Map<string, Promise<RedirectTarget | null>>()
  private readonly loader: TargetLoader

  constructor(
    private readonly local: LocalCache,
    private readonly shared: SharedCache | undefined,
    store: ShortUrlStore,
    private readonly observer: ResolverObserver,
  ) {
    this.loader = new TargetLoader((codes) => store.targets(codes))
  }

  /** The target of `code`, or null when it does not exist; synchronous on an LRU hit. */
  resolve(code: string): RedirectTarget | null | Promise<RedirectTarget | null> {
    const hit = this.local.get(code)
    if (hit.hit) {
      this.observer.lookup('lru', hit.target !== null)
      return hit.target
    }
    let p = this.inFlight.get(code)
    if (!p) {
      p = this.miss(code).finally(() => this.inFlight.delete(code))
      this.inFlight.set(code, p)
    }
    return p
  }

  /** A link reached its maxVisits: answer "gone" locally until an edit says otherwise. */
  exhausted(code: string): void {
    this.local.setExhausted(code)
  }

  private async miss(code: string): Promise<RedirectTarget | null> {
    const token = this.local.token()
    if (this.shared) {
      let found: CacheLookup = { hit: false }
      try {
        found = await this.shared.get(code)
      } catch (err) {
        this.observer.sharedError(err)
      }
      if (found.hit) {
        this.observer.lookup('redis', found.target !== null)
        this.local.set(code, found.target, token)
        return found.target
      }
    }
    const target = (await this.loader.load(code)) ?? null
    this.observer.lookup('db', target !== null)
    this.local.set(code, target, token)
    if (this.shared) {
      // Not awaited: the visitor does not wait for the cache fill.
      this.shared
        .put(code, target, target ? target.version : 0)
        .catch((err) => this.observer.sharedError(err))
    }
    return target
  }
}

/** Log shared-cache failures at most once per interval (a Redis outage must not flood the log). */
export function throttledWarn(log: Logger, message: string, intervalMs = 10_000) {
  let last = 0
  let suppressed = 0
  return (err: unknown) => {
    const now = Date.now()
    if (now - last < intervalMs) {
      suppressed++
      return
    }
    log.warn({ err: (err as Error)?.message ?? String(err), suppressed }, message)
    last = now
    suppressed = 0
  }
}
