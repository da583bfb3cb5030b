/**
 * The visits journal of the embedded database (PGlite): each flush is one row (a batch) holding all
 * of its visits, and the batches are rolled up into buckets (one row per link, visits.bucket.ts)
 * and counters every few seconds, and before anything reads visits.
 *
 * Why: on PGlite, PostgreSQL runs on the server's own thread, and it costs ~20 µs of that thread
 * per link per flush (a bucket row and its two index entries, a counter update) whatever the
 * link's visits in it. A redirect server under load visits many links between two flushes, so
 * that cost, divided among the few visits each bucket then holds, was most of what a visit cost
 * (a third of a core at 3,000 redirects/s over 1,000 links). A batch row costs the same whatever
 * the number of links, and a roll-up writes a link's visits of several seconds as one bucket.
 *
 * A batch document:
 *   { "b": id of the first string of "s",
 *     "t": first visit, epoch ms,
 *     "s": [ strings first used by this batch ],
 *     "p": [ [link id, referer, userAgent, visitedUrl, redirectUrl, flags, location?], ... ],
 *     "v": [ shape, ms after t, shape, ms after t, ... ] }
 * "p" holds the batch's visit shapes (visits.batch.ts: a link's visits of a flush nearly always
 * agree on everything but their time), and "v" each visit as the index of its shape in "p" and its
 * time, flat. String fields are string ids or null (the location is its JSON text, as in buckets).
 * Ids run on from batch to batch until a roll-up empties the journal, so a link's URLs and a
 * client's user agent are written once per roll-up rather than once per flush. flags: 1 =
 * potential bot, 2 = already counted (links with maxVisits count on the redirect). Written and read
 * only by this process: the format is private to this file. Batches of an earlier version (no "p";
 * "v" holds [link id, ms after t, referer, userAgent, visitedUrl, redirectUrl, flags, location?]
 * per visit) may wait in the journal of a process killed before an upgrade, and are read too.
 */
import type { ShapedVisits, VisitLocation, VisitShape } from './ports.js'
import type { Bucket } from './visits.bucket.js'

/** A batch document as parsed ("p" absent, and "v" one array per visit, in the earlier format). */
export interface BatchDoc {
  b: number
  t: number
  s: string[]
  p?: (number | null)[][]
  v: (number | null)[][] | number[]
}

const BOT = 1
const COUNTED = 2

/**
 * The strings the journal's batches have defined since it was last emptied, and their ids. Ids are
 * never reused: after `clear()` (the journal was rolled up) strings get new ids, so a batch written
 * before a roll-up that failed to commit still reads as written.
 */
export class JournalStrings {
  private readonly ids = new Map<string, number>()
  private next = 0

  /**
   * One flush's visits as a batch document (text). `undo` forgets the strings it defined, for when
   * the batch is not written after all (a later batch must not refer to them).
   */
  encode(visits: ShapedVisits): { doc: string; undo: () => void } {
    const base = this.next
    const added: string[] = []
    let strings = ''
    const ids = this.ids
    const ref = (s: string | null): number | 'null' => {
      if (s === null) return 'null'
      let i = ids.get(s)
      if (i === undefined) {
        i = this.next++
        ids.set(s, i)
        strings += added.length === 0 ? JSON.stringify(s) : `,${JSON.stringify(s)}`
        added.push(s)
      }
      return i
    }
    const at = visits.at
    let t = at[0] ?? 0
    for (const a of at) if (a < t) t = a
    // Shapes in first-use order; one client's shapes share a location object.
    const index = new Map<VisitShape, number>()
    let locations: Map<VisitLocation, string> | undefined
    let shapes = ''
    const refs = new Array<number>(at.length)
    for (let i = 0; i < at.length; i++) {
      const v = visits.shapes[i]!
      let k = index.get(v)
      if (k === undefined) {
        k = index.size
        index.set(v, k)
        const flags = (v.potentialBot ? BOT : 0) | (v.counted ? COUNTED : 0)
        let shape = `${k === 0 ? '[' : ',['}${v.shortUrlId},${ref(v.referer)},${ref(v.userAgent)},${ref(v.visitedUrl)},${ref(v.redirectUrl)},${flags}`
        if (v.location) {
          locations ??= new Map()
          let text = locations.get(v.location)
          if (text === undefined) {
            text = JSON.stringify(v.location)
            locations.set(v.location, text)
          }
          shape += `,${ref(text)}`
        }
        shapes += `${shape}]`
      }
      refs[i] = k
    }
    // Each visit is two small numbers: joined once rather than concatenated visit by visit.
    const flat = new Array<number>(2 * at.length)
    for (let i = 0; i < at.length; i++) {
      flat[2 * i] = refs[i]!
      flat[2 * i + 1] = at[i]! - t
    }
    return {
      doc: `{"b":${base},"t":${t},"s":[${strings}],"p":[${shapes}],"v":[${flat.join(',')}]}`,
      undo: () => {
        for (const s of added) ids.delete(s)
      },
    }
  }

  /** The journal was emptied: later batches define their strings again. */
  clear(): void {
    this.ids.clear()
  }
}

/** A bucket being filled: each visit as its time and the index of its shape (visits.bucket.ts). */
class OpenBucket {
  readonly at: number[] = []
  readonly shape: number[] = []
  readonly bot: number[] = []
  uncounted = 0
  /** The text of each shape of the bucket, in first-use order, and each text's index. */
  private readonly shapes: string[] = []
  private readonly shapeByText = new Map<string, number>()
  /** A batch shape's index in this bucket (found once per batch shape, not per visit). */
  readonly batchShapes = new Map<(number | null)[], number>()
  /** The JSON text of each string of the dictionary, in order. */
  private readonly strings: string[] = []
  /** Journal string id -> dictionary index (a string is looked up by content once per id). */
  private readonly byId = new Map<number, number>()
  private readonly byText = new Map<string, number>()

  constructor(readonly shortUrlId: number) {}

  get n(): number {
    return this.at.length
  }

  /** The dictionary index of journal string `id` (whose text is `text()`), added on first use. */
  private ref(id: number | null | undefined, text: (id: number) => string): number | 'null' {
    if (id == null) return 'null'
    let i = this.byId.get(id)
    if (i !== undefined) return i
    const s = text(id)
    i = this.byText.get(s)
    if (i === undefined) {
      i = this.strings.length
      this.byText.set(s, i)
      this.strings.push(JSON.stringify(s))
    }
    this.byId.set(id, i)
    return i
  }

  /**
   * The index in this bucket of the shape whose referer, userAgent, visitedUrl and redirectUrl are
   * journal strings `e[off..off+3]` and location `e[off+5]`, with bot flag `bot`; added on first use
   * (strings in the order `encodeBucket` meets them).
   */
  shapeOf(e: (number | null)[], off: number, bot: number, text: (id: number) => string): number {
    const loc = e[off + 5]
    const t = `[${this.ref(e[off], text)},${this.ref(e[off + 1], text)},${this.ref(e[off + 2], text)},${this.ref(e[off + 3], text)},${bot}${loc == null ? '' : `,${this.ref(loc, text)}`}]`
    let k = this.shapeByText.get(t)
    if (k === undefined) {
      k = this.shapes.length
      this.shapeByText.set(t, k)
      this.shapes.push(t)
    }
    return k
  }

  /** The bucket row, its document as `encodeBucket` writes it for the same visits. */
  close(): Bucket {
    let firstAt = this.at[0]!
    let lastAt = firstAt
    for (const at of this.at) {
      if (at < firstAt) firstAt = at
      if (at > lastAt) lastAt = at
    }
    let bots = 0
    let entries = ''
    for (let i = 0; i < this.at.length; i++) {
      bots += this.bot[i]!
      entries += `${i === 0 ? '[' : ',['}${this.at[i]! - firstAt},${this.shape[i]}]`
    }
    return {
      shortUrlId: this.shortUrlId,
      firstAt,
      lastAt,
      n: this.at.length,
      bots,
      uncounted: this.uncounted,
      doc: `{"t":${firstAt},"s":[${this.strings.join(',')}],"p":[${this.shapes.join(',')}],"v":[${entries}]}`,
    }
  }
}

/**
 * Batches in, buckets out: what `groupByLink` and `encodeBucket` make of the same visits written
 * directly (links in first-seen order, each link's visits in arrival order, at most `maxVisits` a
 * bucket), without looking each visit's strings up again.
 */
export class BucketBuilder {
  private readonly open = new Map<number, OpenBucket>()
  /** Each link's buckets, filled and open, in first-seen link order. */
  private readonly byLink = new Map<number, OpenBucket[]>()
  /** Strings of the batches added so far, by id. */
  private readonly strings = new Map<number, string>()
  private readonly text = (id: number): string => {
    const s = this.strings.get(id)
    if (s === undefined) throw new Error(`visits journal: string ${id} is not defined by any batch before it`)
    return s
  }
  private visits = 0

  constructor(private readonly maxVisits: number) {}

  /** Visits added so far. */
  get size(): number {
    return this.visits
  }

  /** Add one batch's visits (batches in the order they were written). */
  add(doc: BatchDoc): void {
    const base = doc.b ?? 0
    for (let i = 0; i < doc.s.length; i++) this.strings.set(base + i, doc.s[i]!)
    if (doc.p === undefined) {
      // The earlier format: each visit is an entry of its own, its strings from index 2.
      for (const e of doc.v as (number | null)[][]) this.place(e, 2, doc.t + e[1]!, false)
      return
    }
    const shapes = doc.p
    const v = doc.v as number[]
    for (let i = 0; i < v.length; i += 2) this.place(shapes[v[i]!]!, 1, doc.t + v[i + 1]!, true)
  }

  /**
   * One visit: `e` holds its link at 0, and its referer, userAgent, visitedUrl, redirectUrl, flags
   * and location from `off`. `shared`: `e` is a shape that other visits of the batch refer to, so
   * its strings are looked up once per bucket.
   */
  private place(e: (number | null)[], off: number, at: number, shared: boolean): void {
    const link = e[0]!
    let b = this.open.get(link)
    if (b === undefined || b.n >= this.maxVisits) {
      b = new OpenBucket(link)
      this.open.set(link, b)
      const list = this.byLink.get(link)
      if (list) list.push(b)
      else this.byLink.set(link, [b])
    }
    const flags = e[off + 4]!
    const bot = flags & BOT ? 1 : 0
    let k = shared ? b.batchShapes.get(e) : undefined
    if (k === undefined) {
      k = b.shapeOf(e, off, bot, this.text)
      if (shared) b.batchShapes.set(e, k)
    }
    b.at.push(at)
    b.shape.push(k)
    b.bot.push(bot)
    if (!(flags & COUNTED)) b.uncounted++
    this.visits++
  }

  /** Every bucket, in the order `groupByLink` gives, each encoded when its `close()` is called. */
  pending(): { n: number; close(): Bucket }[] {
    const out: OpenBucket[] = []
    for (const list of this.byLink.values()) for (const b of list) out.push(b)
    return out
  }
}
