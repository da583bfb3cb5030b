/**
 * The visits of one flush, as the buffer holds them: each visit is a time and a reference to its
 * shape, everything else about it (link, referer, user agent, visited and redirect URL, client
 * address), which the visits of a link in a flush nearly always share.
 *
 * Why: a redirect server records tens of thousands of visits a second, and each one waited in
 * memory for the flush (500 ms) as an object of its own. Objects that live that long survive the
 * young generation's collections and are copied into the old one: the garbage collector's share
 * of a hot redirect server's CPU went from ~3% with visits off to ~7% with them on. A visit is now
 * two array slots (a number and a reference to a shape that already exists); the flush and the
 * journal (visits.journal.ts) also work per shape rather than per visit.
 */
import type { ShapedVisits, VisitRecord, VisitShape } from './ports.js'

export type { VisitShape }

export class VisitBatch implements ShapedVisits {
  /** Each visit's shape, in arrival order. */
  readonly shapes: VisitShape[]
  /** Each visit's time (epoch ms). */
  readonly at: number[]

  constructor(shapes: VisitShape[] = [], at: number[] = []) {
    this.shapes = shapes
    this.at = at
  }

  /** Visits given one by one (tests) are each their own shape. */
  static of(visits: ShapedVisits | readonly VisitRecord[]): VisitBatch {
    if (visits instanceof VisitBatch) return visits
    if (!Array.isArray(visits)) {
      const v = visits as ShapedVisits
      return new VisitBatch(v.shapes.slice(), v.at.slice())
    }
    const records = visits as readonly VisitRecord[]
    return new VisitBatch(
      records.slice(),
      records.map((v) => v.at),
    )
  }

  get length(): number {
    return this.at.length
  }

  push(shape: VisitShape, at: number): void {
    this.shapes.push(shape)
    this.at.push(at)
  }

  /** Each distinct shape once, in first-use order. */
  distinctShapes(): VisitShape[] {
    const seen = new Set<VisitShape>(this.shapes)
    return [...seen]
  }

  /** The visits as records of their own (the PostgreSQL writer, Mercure): built only where needed. */
  records(): VisitRecord[] {
    const out: VisitRecord[] = new Array(this.at.length)
    for (let i = 0; i < out.length; i++) {
      const s = this.shapes[i]!
      out[i] = {
        shortUrlId: s.shortUrlId,
        shortCode: s.shortCode,
        at: this.at[i]!,
        referer: s.referer,
        userAgent: s.userAgent,
        visitedUrl: s.visitedUrl,
        redirectUrl: s.redirectUrl,
        counted: s.counted,
        ...(s.potentialBot !== undefined && { potentialBot: s.potentialBot }),
        ...(s.location !== undefined && { location: s.location }),
        ...(s.ip !== undefined && { ip: s.ip }),
      }
    }
    return out
  }

  /** The first `n` visits (what fits under the buffer's cap), and this batch followed by `later`. */
  head(n: number): VisitBatch {
    return n >= this.length ? this : new VisitBatch(this.shapes.slice(0, n), this.at.slice(0, n))
  }

  concat(later: VisitBatch): VisitBatch {
    return new VisitBatch(this.shapes.concat(later.shapes), this.at.concat(later.at))
  }
}
