/**
 * Consistent hashing over weighted targets (Kong's `consistent-hashing`): each target owns points on
 * a ring in proportion to its weight (`slots` points in all), a request's hash picks the first point
 * at or after it. Adding or removing a target moves only the keys of its own points; an unhealthy
 * target's keys go to the next points on the ring and come back when it does.
 */
import { createHash } from 'node:crypto'

export function hash32(s: string): number {
  return createHash('md5').update(s).digest().readUInt32BE(0)
}

export class HashRing<T extends { key: string; weight: number }> {
  private readonly points: number[] = []
  private readonly owners: T[] = []

  constructor(targets: readonly T[], slots: number) {
    const total = targets.reduce((n, t) => n + t.weight, 0)
    const pts: [number, T][] = []
    for (const t of targets) {
      if (t.weight <= 0) continue
      const n = Math.max(1, Math.round((slots * t.weight) / total))
      for (let i = 0; i < n; i++) pts.push([hash32(`${t.key}#${i}`), t])
    }
    pts.sort((a, b) => a[0] - b[0])
    for (const [p, t] of pts) {
      this.points.push(p)
      this.owners.push(t)
    }
  }

  /** The first target from `hash` on along the ring that `usable` accepts. */
  pick(hash: number, usable: (t: T) => boolean): T | undefined {
    const n = this.points.length
    if (n === 0) return undefined
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.points[mid]! < hash) lo = mid + 1
      else hi = mid
    }
    const tried = new Set<T>()
    for (let i = 0; i < n; i++) {
      const t = this.owners[(lo + i) % n]!
      if (tried.has(t)) continue
      if (usable(t)) return t
      tried.add(t)
    }
    return undefined
  }
}
