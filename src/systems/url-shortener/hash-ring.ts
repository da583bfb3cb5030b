/**
 * A consistent-hash ring, for the README's "Running at scale": how short
 * codes would be spread over N PostgreSQL shards (or Redis nodes) so that
 * adding a shard moves only about 1/(N+1) of them, instead of nearly all as
 * `hash(code) % N` would.
 *
 * Each shard owns `vnodes` points on a 32-bit ring (more points, smoother
 * spread); a code belongs to the first point at or after its own hash. The
 * running system does not shard (one PostgreSQL holds billions of codes;
 * see the README for when that stops being true); this is the routing
 * function a sharded deployment would put in front of its stores.
 */
import { createHash } from 'node:crypto'

/** FNV-1a, 32 bits: fast, and good enough to place keys (placement needs spread, not secrecy). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class HashRing {
  private points: { at: number; shard: string }[] = []

  constructor(
    shards: readonly string[] = [],
    private readonly vnodes = 200,
  ) {
    for (const s of shards) this.add(s)
  }

  add(shard: string): void {
    for (let i = 0; i < this.vnodes; i++) {
      // Points from a cryptographic hash of "shard#i": evenly spread, stable across processes.
      const at = createHash('sha256').update(`${shard}#${i}`).digest().readUInt32BE(0)
      this.points.push({ at, shard })
    }
    this.points.sort((a, b) => a.at - b.at)
  }

  remove(shard: string): void {
    this.points = this.points.filter((p) => p.shard !== shard)
  }

  /** The shard that owns `key`. */
  shardOf(key: string): string {
    if (this.points.length === 0) throw new Error('the ring has no shards')
    const h = fnv1a(key)
    // First point at or after h (binary search), wrapping to the first point.
    let lo = 0
    let hi = this.points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.points[mid]!.at < h) lo = mid + 1
      else hi = mid
    }
    return this.points[lo === this.points.length ? 0 : lo]!.shard
  }
}
