/**
 * Visits are stored in buckets: one row per link per flush, holding that
 * link's visits of the flush as one JSON document, instead of one row per
 * visit. A row costs PostgreSQL a tuple header, an index entry and a WAL
 * record whatever it holds; a visit is ~200 bytes of strings that repeat
 * (the same user agent, referer and target within a link and a second), so
 * a bucket's strings are stored once in a dictionary. Measured on PGlite,
 * a visit costs about a fifth of what a row per visit did (README, Design).
 *
 * The document (`visit_buckets.visits`):
 *   { "t": first visit, epoch ms,
 *     "s": [ distinct strings of the bucket ],
 *     "p": [ [referer, userAgent, visitedUrl, redirectUrl, bot 0|1, location?], ... ],
 *     "v": [ [ms after t, shape], ... ] }
 * "p" holds the bucket's distinct visit shapes (everything about a visit but its time: a link's
 * visits nearly all share one), and each visit is its time and the index of its shape: ~7 bytes of
 * document a visit instead of ~20. On PGlite a bucket write costs about 60 ns per byte of document
 * (the array parameter, the json check, the heap and the WAL), so the bytes are what a visit costs.
 * Documents written before shapes (no "p") hold every visit in full:
 *   [ms after t, referer, userAgent, visitedUrl, redirectUrl, bot 0|1, location?]
 * and are read as well; so are the migration's, whose string fields are literal strings. A string
 * field is an index into "s", a literal string, or null. The location (geolocation, added later:
 * older entries have no seventh field) is its JSON text, a string like the others, so a city's
 * visits share one copy.
 */
import type { VisitLocation, VisitRecord, VisitRow } from './ports.js'

type Field = number | string | null
/** A visit in full (documents without shapes). */
type Entry = [number, Field, Field, Field, Field, 0 | 1] | [number, Field, Field, Field, Field, 0 | 1, Field]
/** A shape: a visit in full but for its time. */
type Shape = [Field, Field, Field, Field, 0 | 1] | [Field, Field, Field, Field, 0 | 1, Field]

export interface BucketDoc {
  t: number
  s: string[]
  p?: Shape[]
  v: Entry[] | [number, number][]
}

/** A bucket ready to insert: its link, time span, counts and document. */
export interface Bucket {
  shortUrlId: number
  firstAt: number
  lastAt: number
  n: number
  bots: number
  /** Visits not yet counted in short_urls.visit_count (links without maxVisits). */
  uncounted: number
  doc: string
}

/** Group visits by link, in first-seen link order, in groups of at most `maxVisits`. */
export function groupByLink(visits: readonly VisitRecord[], maxVisits: number): VisitRecord[][] {
  const byLink = new Map<number, VisitRecord[]>()
  for (const v of visits) {
    const list = byLink.get(v.shortUrlId)
    if (list) list.push(v)
    else byLink.set(v.shortUrlId, [v])
  }
  const out: VisitRecord[][] = []
  for (const list of byLink.values())
    for (let i = 0; i < list.length; i += maxVisits) out.push(list.slice(i, i + maxVisits))
  return out
}

/**
 * One link's visits (a group of `groupByLink`) as a bucket row, strings and shapes stored once. The
 * document is written as text directly (what `JSON.stringify` of the `BucketDoc` would give,
 * character for character): building an array per visit to stringify it afterwards cost about as
 * much as the strings themselves.
 */
export function encodeBucket(visits: readonly VisitRecord[]): Bucket {
  const first = visits[0]!
  const dict = new Map<string, number>()
  let strings = ''
  const ref = (s: string | null): number | 'null' => {
    if (s === null) return 'null'
    let i = dict.get(s)
    if (i === undefined) {
      i = dict.size
      dict.set(s, i)
      strings += i === 0 ? JSON.stringify(s) : `,${JSON.stringify(s)}`
    }
    return i
  }
  let firstAt = first.at
  let lastAt = first.at
  for (const v of visits) {
    if (v.at < firstAt) firstAt = v.at
    if (v.at > lastAt) lastAt = v.at
  }
  let bots = 0
  let uncounted = 0
  // One client's visits share a location object (the flusher locates an address once per flush).
  let locations: Map<VisitLocation, string> | undefined
  // A shape by its text (its string indexes), and the shapes' text in first-use order.
  const shapeIndex = new Map<string, number>()
  let shapes = ''
  let entries = ''
  for (let i = 0; i < visits.length; i++) {
    const v = visits[i]!
    const bot = v.potentialBot ? 1 : 0
    bots += bot
    if (!v.counted) uncounted++
    let shape = `[${ref(v.referer)},${ref(v.userAgent)},${ref(v.visitedUrl)},${ref(v.redirectUrl)},${bot}`
    if (v.location) {
      locations ??= new Map()
      let text = locations.get(v.location)
      if (text === undefined) {
        text = JSON.stringify(v.location)
        locations.set(v.location, text)
      }
      shape += `,${ref(text)}`
    }
    shape += ']'
    let k = shapeIndex.get(shape)
    if (k === undefined) {
      k = shapeIndex.size
      shapeIndex.set(shape, k)
      shapes += k === 0 ? shape : `,${shape}`
    }
    entries += `${i === 0 ? '[' : ',['}${v.at - firstAt},${k}]`
  }
  return {
    shortUrlId: first.shortUrlId,
    firstAt,
    lastAt,
    n: visits.length,
    bots,
    uncounted,
    doc: `{"t":${firstAt},"s":[${strings}],"p":[${shapes}],"v":[${entries}]}`,
  }
}

/** A visit read back from a bucket, with its position for a stable order among equal dates. */
export interface DecodedVisit extends VisitRow {
  at: number
  bucketId: number
  index: number
}

/** Every visit of a bucket document, in the order they were recorded. */
export function decodeBucket(bucketId: number, doc: BucketDoc): DecodedVisit[] {
  const str = (f: Field): string | null => (typeof f === 'number' ? (doc.s[f] ?? null) : f)
  const parsed = new Map<string, VisitLocation>()
  const location = (f: Field | undefined): VisitLocation | null => {
    const text = f === undefined ? null : str(f)
    if (text === null) return null
    let l = parsed.get(text)
    if (l === undefined) {
      l = JSON.parse(text) as VisitLocation
      parsed.set(text, l)
    }
    return l
  }
  const visit = (at: number, p: Shape | Entry, o: number, index: number): DecodedVisit => ({
    at,
    date: new Date(at),
    referer: str(p[o] as Field),
    userAgent: str(p[o + 1] as Field),
    visitedUrl: str(p[o + 2] as Field),
    redirectUrl: str(p[o + 3] as Field),
    potentialBot: p[o + 4] === 1,
    location: location(p[o + 5] as Field | undefined),
    bucketId,
    index,
  })
  const shapes = doc.p
  if (shapes === undefined) return (doc.v as Entry[]).map((e, index) => visit(doc.t + e[0], e, 1, index))
  return (doc.v as [number, number][]).map((e, index) => visit(doc.t + e[0], shapes[e[1]]!, 0, index))
}

/** Newest first; visits of the same millisecond by bucket, then by position, newest first. */
export function newestFirst(a: DecodedVisit, b: DecodedVisit): number {
  return b.at - a.at || b.bucketId - a.bucketId || b.index - a.index
}
