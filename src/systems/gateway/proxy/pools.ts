/**
 * Keep-alive connection pools to upstream targets (undici Pool), one per origin and connect timeout.
 * Pools of targets that left the configuration are closed once idle at the next reload.
 */
import { Pool } from 'undici'

export class Pools {
  private readonly pools = new Map<string, Pool>()

  get(origin: string, connectTimeoutMs: number): Pool {
    const key = `${origin}|${connectTimeoutMs}`
    let p = this.pools.get(key)
    if (!p) {
      p = new Pool(origin, {
        connections: 256,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: connectTimeoutMs },
        // Bounded by the route's read_timeout per request; these are the ceilings.
        headersTimeout: 0,
        bodyTimeout: 0,
      })
      this.pools.set(key, p)
    }
    return p
  }

  /** Close pools whose origin is not in `keep`. */
  prune(keep: ReadonlySet<string>): void {
    for (const [key, p] of this.pools)
      if (!keep.has(key.split('|')[0]!)) {
        this.pools.delete(key)
        p.close().catch(() => {})
      }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(all.map((p) => p.close().catch(() => p.destroy())))
  }
}
