/**
 * The PGlite visits journal: flushes written as batches and rolled up give the buckets (to the
 * character) that writing the same visits directly gives, and a roll-up after a restart (a new
 * writer on the same tables, as after a killed process) finds and counts every flushed visit once.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../platform/db/migrate.js'
import { testDb } from '../../platform/testing/backends.js'
import type { VisitLocation, VisitRecord, VisitShape } from './ports.js'
import { VisitBatch } from './visits.batch.js'
import { encodeBucket, groupByLink } from './visits.bucket.js'
import { type BatchDoc, BucketBuilder, JournalStrings } from './visits.journal.js'
import { createVisitStore } from './visits.store.pg.js'
import { ROLLUP_VISITS } from './visits.write.pg.js'

const LONDON: VisitLocation = {
  countryCode: 'GB',
  countryName: 'United Kingdom',
  regionName: 'England',
  cityName: 'London',
  latitude: 51.5,
  longitude: -0.09,
  timezone: 'Europe/London',
}
const T0 = Date.UTC(2026, 0, 1)

const text = fc.constantFrom(null, 'Mozilla/5.0', 'curl/8', 'https://a.example/"q"\\', 'ü 🦣')
const visit = fc.record({
  shortUrlId: fc.integer({ min: 1, max: 4 }),
  shortCode: fc.constant('c'),
  at: fc.integer({ min: T0, max: T0 + 60_000 }),
  referer: text,
  userAgent: text,
  visitedUrl: text,
  redirectUrl: text,
  potentialBot: fc.boolean(),
  counted: fc.boolean(),
  location: fc.constantFrom(null, LONDON, { ...LONDON, cityName: 'Leeds' }),
}) satisfies fc.Arbitrary<VisitRecord>

/**
 * A flush as the buffer holds it: visits that agree on everything but their time share one shape
 * object (when `share`), as the buffer makes them.
 */
function shaped(visits: readonly VisitRecord[], share: boolean): VisitBatch {
  const batch = new VisitBatch()
  const shapes = new Map<string, VisitShape>()
  for (const { at, ...rest } of visits) {
    const key = JSON.stringify(rest)
    let shape = share ? shapes.get(key) : undefined
    if (shape === undefined) {
      shape = rest
      shapes.set(key, shape)
    }
    batch.push(shape, at)
  }
  return batch
}

/** A batch document as the earlier version wrote it (one entry per visit, no shapes): a journal a killed process left. */
function earlierFormat(visits: readonly VisitRecord[]): string {
  const strings: string[] = []
  const ref = (s: string | null | undefined) => {
    if (s == null) return null
    let i = strings.indexOf(s)
    if (i < 0) i = strings.push(s) - 1
    return i
  }
  const t = Math.min(...visits.map((v) => v.at))
  const v = visits.map((x) => {
    const e = [
      x.shortUrlId,
      x.at - t,
      ref(x.referer),
      ref(x.userAgent),
      ref(x.visitedUrl),
      ref(x.redirectUrl),
      (x.potentialBot ? 1 : 0) | (x.counted ? 2 : 0),
    ]
    if (x.location) e.push(ref(JSON.stringify(x.location)))
    return e
  })
  return JSON.stringify({ b: 0, t, s: strings, v })
}

describe('visits journal', () => {
  it('rolls batches up into the buckets a direct write of the same visits makes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(visit, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        (flushes, max, share) => {
          const builder = new BucketBuilder(max)
          // One writer's batches share their strings (each defines only the new ones).
          const strings = new JournalStrings()
          for (const f of flushes) builder.add(JSON.parse(strings.encode(shaped(f, share)).doc) as BatchDoc)
          const rolled = builder.pending().map((b) => b.close())
          const direct = groupByLink(flushes.flat(), max).map(encodeBucket)
          expect(rolled).toEqual(direct)
          expect(builder.size).toBe(flushes.flat().length)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads batches of the earlier format (one entry per visit) into the same buckets', () => {
    fc.assert(
      fc.property(
        fc.array(visit, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        (f, max) => {
          const builder = new BucketBuilder(max)
          builder.add(JSON.parse(earlierFormat(f)) as BatchDoc)
          expect(builder.pending().map((b) => b.close())).toEqual(groupByLink(f, max).map(encodeBucket))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('keeps every flushed visit across a restart before the roll-up, counted once', async () => {
    const db = await testDb('embedded')
    await migrate(db, [{ source: 'system', dir: new URL('./sql/', import.meta.url) }])
    await db.query("INSERT INTO short_urls (id, short_code, long_url) VALUES (1, 'a', 'https://e.example/')")
    const v = (i: number): VisitRecord => ({
      shortUrlId: 1,
      shortCode: 'a',
      at: T0 + i,
      referer: null,
      userAgent: i % 2 ? 'curl/8' : 'Mozilla/5.0',
      visitedUrl: 'https://s.test/a',
      redirectUrl: 'https://e.example/',
      potentialBot: i % 2 === 1,
      counted: false,
    })
    const before = createVisitStore(db)
    await before.writeBatch([v(1), v(2), v(3)], [])
    await before.writeBatch([v(4), v(5)], [])
    // Nothing rolled up yet: the counters do not have them, the journal does.
    const journal = await db.query<{ n: number }>('SELECT n FROM visit_batches ORDER BY id')
    expect(journal.rows.map((r) => r.n)).toEqual([3, 2])
    expect(before.journaled()).toBe(5)
    // A new store on the same tables: what a process started after a kill has.
    const after = createVisitStore(db)
    await after.settle()
    const page = await after.list({ shortUrlId: 1 }, { page: 1, itemsPerPage: 10, excludeBots: false })
    expect(page.items.map((x) => x.date.getTime() - T0)).toEqual([5, 4, 3, 2, 1])
    const link = await db.query<{ visit_count: string; bot_count: string }>(
      'SELECT visit_count, bot_count FROM short_urls WHERE id = 1',
    )
    expect([Number(link.rows[0]!.visit_count), Number(link.rows[0]!.bot_count)]).toEqual([5, 3])
    expect((await db.query('SELECT 1 FROM visit_batches')).rows).toHaveLength(0)
    // The first store's next settle finds nothing left to add: still five.
    await before.settle()
    expect(
      (await after.list({ shortUrlId: 1 }, { page: 1, itemsPerPage: 10, excludeBots: false })).total,
    ).toBe(5)
  })

  it('rolls up by itself once the journal holds enough visits, and only then', async () => {
    const db = await testDb('embedded')
    await migrate(db, [{ source: 'system', dir: new URL('./sql/', import.meta.url) }])
    await db.query("INSERT INTO short_urls (id, short_code, long_url) VALUES (1, 'a', 'https://e.example/')")
    const store = createVisitStore(db)
    await store.settle()
    const many = (n: number, from: number): VisitRecord[] =>
      Array.from({ length: n }, (_, i) => ({
        shortUrlId: 1,
        shortCode: 'a',
        at: T0 + from + i,
        referer: null,
        userAgent: null,
        visitedUrl: null,
        redirectUrl: null,
        potentialBot: false,
        counted: false,
      }))
    const counted = async () =>
      Number(
        (await db.query<{ c: string }>('SELECT visit_count AS c FROM short_urls WHERE id = 1')).rows[0]!.c,
      )
    await store.writeBatch(many(ROLLUP_VISITS - 1, 0), [])
    await store.settle(true)
    expect(await counted()).toBe(0)
    expect(store.journaled()).toBe(ROLLUP_VISITS - 1)
    await store.writeBatch(many(1, ROLLUP_VISITS), [])
    await store.settle(true)
    expect(await counted()).toBe(ROLLUP_VISITS)
    expect(store.journaled()).toBe(0)
  }, 60_000)
})
