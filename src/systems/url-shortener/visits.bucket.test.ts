/**
 * The bucket document as stored: `encodeBucket` writes its text directly, so it is checked here
 * against the document built as an object and given to `JSON.stringify` (what the flusher wrote
 * before, and what any reader expects), and read back by `decodeBucket`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { VisitLocation, VisitRecord } from './ports.js'
import { type BucketDoc, decodeBucket, encodeBucket } from './visits.bucket.js'

const LONDON: VisitLocation = {
  countryCode: 'GB',
  countryName: 'United Kingdom',
  regionName: 'England',
  cityName: 'London',
  latitude: 51.5,
  longitude: -0.09,
  timezone: 'Europe/London',
}
const QUOTED: VisitLocation = { ...LONDON, cityName: 'São "Paulo"\\', latitude: -23.55 }

/** The document of a bucket as an object, stringified: the reference the encoder must match. */
function referenceDoc(visits: readonly VisitRecord[]): string {
  const dict = new Map<string, number>()
  const ref = (s: string | null): number | null => {
    if (s === null) return null
    let i = dict.get(s)
    if (i === undefined) {
      i = dict.size
      dict.set(s, i)
    }
    return i
  }
  const firstAt = Math.min(...visits.map((v) => v.at))
  const shapes = new Map<string, number>()
  const p: (number | null)[][] = []
  const v = visits.map((x) => {
    const shape: (number | null)[] = [
      ref(x.referer),
      ref(x.userAgent),
      ref(x.visitedUrl),
      ref(x.redirectUrl),
      x.potentialBot ? 1 : 0,
    ]
    if (x.location) shape.push(ref(JSON.stringify(x.location)))
    const key = JSON.stringify(shape)
    let k = shapes.get(key)
    if (k === undefined) {
      k = p.push(shape) - 1
      shapes.set(key, k)
    }
    return [x.at - firstAt, k]
  })
  return JSON.stringify({ t: firstAt, s: [...dict.keys()], p, v })
}

/** The document as written before shapes (every visit in full): still stored, still read. */
function earlierDoc(visits: readonly VisitRecord[]): string {
  const dict = new Map<string, number>()
  const ref = (s: string | null): number | null => {
    if (s === null) return null
    let i = dict.get(s)
    if (i === undefined) {
      i = dict.size
      dict.set(s, i)
    }
    return i
  }
  const firstAt = Math.min(...visits.map((v) => v.at))
  const v = visits.map((x) => {
    const entry: (number | null)[] = [
      x.at - firstAt,
      ref(x.referer),
      ref(x.userAgent),
      ref(x.visitedUrl),
      ref(x.redirectUrl),
      x.potentialBot ? 1 : 0,
    ]
    if (x.location) entry.push(ref(JSON.stringify(x.location)))
    return entry
  })
  return JSON.stringify({ t: firstAt, s: [...dict.keys()], v })
}

const text = fc.oneof(
  fc.constant(null),
  fc.constantFrom('Mozilla/5.0', 'https://a.example/"q"\\', 'http://s.example/abc?x=1&y=%20'),
  fc.string({ unit: 'binary', maxLength: 12 }),
)
const visit = fc.record({
  shortUrlId: fc.constant(7),
  shortCode: fc.constant('abc'),
  at: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
  referer: text,
  userAgent: text,
  visitedUrl: text,
  redirectUrl: text,
  potentialBot: fc.boolean(),
  counted: fc.boolean(),
  location: fc.constantFrom(null, LONDON, QUOTED),
}) satisfies fc.Arbitrary<VisitRecord>

describe('bucket documents', () => {
  it('are the text JSON.stringify gives for the document, and decode back to the visits', () => {
    fc.assert(
      fc.property(fc.array(visit, { minLength: 1, maxLength: 40 }), (visits) => {
        const bucket = encodeBucket(visits)
        expect(bucket.doc).toBe(referenceDoc(visits))
        expect(bucket.firstAt).toBe(Math.min(...visits.map((v) => v.at)))
        expect(bucket.lastAt).toBe(Math.max(...visits.map((v) => v.at)))
        expect(bucket.n).toBe(visits.length)
        expect(bucket.bots).toBe(visits.filter((v) => v.potentialBot).length)
        expect(bucket.uncounted).toBe(visits.filter((v) => !v.counted).length)
        const decoded = decodeBucket(1, JSON.parse(bucket.doc) as BucketDoc)
        expect(decoded.map((d) => [d.at, d.referer, d.userAgent, d.visitedUrl, d.redirectUrl])).toEqual(
          visits.map((v) => [v.at, v.referer, v.userAgent, v.visitedUrl, v.redirectUrl]),
        )
        expect(decoded.map((d) => [d.potentialBot, d.location])).toEqual(
          visits.map((v) => [v.potentialBot, v.location ?? null]),
        )
      }),
      { numRuns: 300 },
    )
  })

  it('written before shapes (every visit in full) still decode to the visits', () => {
    fc.assert(
      fc.property(fc.array(visit, { minLength: 1, maxLength: 40 }), (visits) => {
        const decoded = decodeBucket(1, JSON.parse(earlierDoc(visits)) as BucketDoc)
        expect(
          decoded.map((d) => [
            d.at,
            d.referer,
            d.userAgent,
            d.visitedUrl,
            d.redirectUrl,
            d.potentialBot,
            d.location,
          ]),
        ).toEqual(
          visits.map((v) => [
            v.at,
            v.referer,
            v.userAgent,
            v.visitedUrl,
            v.redirectUrl,
            v.potentialBot,
            v.location ?? null,
          ]),
        )
      }),
      { numRuns: 100 },
    )
  })
})
