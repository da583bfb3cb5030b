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
 *     "v": [ [link id, ms after t, referer, userAgent, visitedUrl, redirectUrl, flags, location?], ... ] }
 * String fields are string ids or null (the location is its JSON text, as in buckets). Ids run on
 * from batch to batch until a roll-up empties the journal, so a link's URLs and a client's user
 * agent are written once per roll-up rather than once per flush. flags: 1 = potential bot,
 * 2 = already counted (links with maxVisits count on the redirect). Written and read only by this
 * process: the format is private to this file.
 */
import type { VisitLocation, VisitRecord } from './ports.js'
import type { Bucket } from './visits.bucket.js'

/** A batch document as parsed. */
export interface BatchDoc {
  b: number
  t: number
  s: string[]
  v: (number | null)[][]
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
  encode(visits: readonly VisitRecord[]): { doc: string; undo: () => void } {
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
    let t = visits[0]?.at ?? 0
    for (const v of visits) if (v.at < t) t = v.at
    let locations: Map<VisitLocation, string> | undefined
    let entries = ''
    for (let i = 0; i < visits.length; i++) {
      const v = visits[i]!
      const flags = (v.potentialBot ? BOT : 0) | (v.counted ? COUNTED : 0)
      let entry = `${i === 0 ? '[' : ',['}${v.shortUrlId},${v.at - t},${ref(v.referer)},${ref(v.userAgent)},${ref(v.visitedUrl)},${ref(v.redirectUrl)},${flags}`
      if (v.location) {
        locations ??= new Map()
        let text = locations.get(v.location)
        if (text === undefined) {
          text = JSON.stringify(v.location)
          locations.set(v.location, text)
        }
        entry += `,${ref(text)}`
      }
      entries += `${entry}]`
    }
    return {
      doc: `{"b":${base},"t":${t},"s":[${strings}],"v":[${entries}]}`,
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

/** No string (null), or no location. */
const NONE = -1

/** A bucket being filled: its visits as numbers (strings as indexes into its own dictionary). */
class OpenBucket {
  readonly at: number[] = []
  /** Five per visit: referer, userAgent, visitedUrl, redirectUrl, location; NONE for none. */
  readonly refs: number[] = []
  readonly bot: number[] = []
  uncounted = 0
  /** The JSON text of each string of the dictionary, in order. */
  readonly strings: string[] = []
  /** Journal string id -> dictionary index (a string is looked up by content once per id). */
  private readonly byId = new Map<number, number>()
  private readonly byText = new Map<string, number>()

  constructor(readonly shortUrlId: number) {}

  get n(): number {
    return this.at.length
  }

  /** The dictionary index of journal string `id` (whose text is `text()`), added on first use. */
  ref(id: number, text: (id: number) => string): number {
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
    const r = this.refs
    const field = (x: number) => (x === NONE ? 'null' : x)
    for (let i = 0, k = 0; i < this.at.length; i++, k += 5) {
      bots += this.bot[i]!
      const loc = r[k + 4]!
      entries += `${i === 0 ? '[' : ',['}${this.at[i]! - firstAt},${field(r[k]!)},${field(r[k + 1]!)},${field(r[k + 2]!)},${field(r[k + 3]!)},${this.bot[i]}${loc === NONE ? '' : `,${loc}`}]`
    }
    return {
      shortUrlId: this.shortUrlId,
      firstAt,
      lastAt,
      n: this.at.length,
      bots,
      uncounted: this.uncounted,
      doc: `{"t":${firstAt},"s":[${this.strings.join(',')}],"v":[${entries}]}`,
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
    const text = this.text
    for (const e of doc.v) {
      const link = e[0]!
      let b = this.open.get(link)
      if (b === undefined || b.n >= this.maxVisits) {
        b = new OpenBucket(link)
        this.open.set(link, b)
        const list = this.byLink.get(link)
        if (list) list.push(b)
        else this.byLink.set(link, [b])
      }
      const flags = e[6]!
      const r = b.refs
      b.at.push(doc.t + e[1]!)
      r.push(
        e[2] == null ? NONE : b.ref(e[2], text),
        e[3] == null ? NONE : b.ref(e[3], text),
        e[4] == null ? NONE : b.ref(e[4], text),
        e[5] == null ? NONE : b.ref(e[5], text),
        e[7] == null ? NONE : b.ref(e[7], text),
      )
      b.bot.push(flags & BOT ? 1 : 0)
      if (!(flags & COUNTED)) b.uncounted++
      this.visits++
    }
  }

  /** Every bucket, in the order `groupByLink` gives, each encoded when its `close()` is called. */
  pending(): { n: number; close(): Bucket }[] {
    const out: OpenBucket[] = []
    for (const list of this.byLink.values()) for (const b of list) out.push(b)
    return out
  }
}
