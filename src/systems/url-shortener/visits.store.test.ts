/**
 * The bucketed visit store against a model: whatever the flushes (links mixed, buckets overlapping
 * in time, bots), every list is the model's newest-first filter, page by page, with its total; and
 * visits stored one row each by the first schema survive the migration to buckets.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../platform/db/migrate.js'
import type { Db } from '../../platform/db/port.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import type { OrphanVisitRecord, OrphanVisitType, VisitQuery, VisitRecord, VisitScope } from './ports.js'
import { createVisitStore } from './visits.store.pg.js'

const SQL = new URL('./sql/', import.meta.url)
const LINKS = [1, 2, 3]
const T0 = Date.UTC(2026, 0, 1)

async function freshDb(backend: (typeof BACKENDS)[number]): Promise<Db> {
  const db = await testDb(backend)
  await migrate(db, [{ source: 'system', dir: SQL }])
  for (const id of LINKS)
    await db.query('INSERT INTO short_urls (id, short_code, long_url) VALUES ($1, $2, $3)', [
      id,
      `code${id}`,
      `https://example.com/${id}`,
    ])
  return db
}

const BACKENDS = backends()
const LONDON = {
  countryCode: 'GB',
  countryName: 'United Kingdom',
  regionName: 'England',
  cityName: 'London',
  latitude: 51.5,
  longitude: -0.09,
  timezone: '',
}
const SYDNEY = { ...LONDON, countryCode: 'AU', countryName: 'Australia', cityName: 'Sydney', latitude: -33.9 }

/** Flushes of visits at distinct instants (the order is then total), overlapping between flushes. */
const flushes = fc
  .array(
    fc.array(
      fc.record({
        link: fc.constantFrom(...LINKS),
        bot: fc.boolean(),
        referer: fc.constantFrom(null, 'https://a.example/', 'https://b.example/"q"\\'),
        agent: fc.constantFrom(null, 'Mozilla/5.0', 'curl/8'),
        location: fc.constantFrom(null, LONDON, SYDNEY),
      }),
      { maxLength: 60 },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .chain((fs) => {
    const n = fs.flat().length
    return fc
      .record({
        instants: fc.uniqueArray(fc.integer({ min: 0, max: 10_000_000 }), { minLength: n, maxLength: n }),
        swaps: fc.array(fc.nat(), { maxLength: 20 }),
      })
      .map(({ instants, swaps }) => {
        // Flushes follow one another in time (as the flusher's do) and overlap a little at their
        // edges (as two processes' flushes do): sorted instants, a few neighbours swapped.
        instants.sort((a, b) => a - b)
        for (const s of swaps) {
          const i = s % Math.max(1, n - 1)
          if (i + 1 < n) [instants[i], instants[i + 1]] = [instants[i + 1]!, instants[i]!]
        }
        return { fs, instants }
      })
  })
  .map(({ fs, instants }) => {
    let k = 0
    return fs.map((f) =>
      f.map(
        (v): VisitRecord => ({
          shortUrlId: v.link,
          shortCode: `code${v.link}`,
          at: T0 + instants[k++]!,
          referer: v.referer,
          userAgent: v.agent,
          visitedUrl: `http://s.example/code${v.link}`,
          redirectUrl: `https://example.com/${v.link}`,
          potentialBot: v.bot,
          counted: false,
          location: v.location,
        }),
      ),
    )
  })

const queries = fc.array(
  fc.record({
    scope: fc.constantFrom<VisitScope>({ all: true }, { shortUrlId: 1 }, { shortUrlId: 2 }),
    // Small pages: the merge's early stop only matters when a page ends inside the data.
    page: fc.integer({ min: 1, max: 4 }),
    itemsPerPage: fc.integer({ min: 1, max: 12 }),
    start: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
    end: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
    excludeBots: fc.boolean(),
  }),
  { minLength: 10, maxLength: 20 },
)

describe.each(BACKENDS)('bucketed visit store (%s)', (backend) => {
  it('lists exactly what a row-per-visit model lists, for any flushes and filters', async () => {
    await fc.assert(
      fc.asyncProperty(flushes, queries, fc.integer({ min: 1, max: 4 }), async (fs, qs, listPage) => {
        const db = await freshDb(backend)
        const store = createVisitStore(db, { listPage })
        for (const f of fs) await store.writeBatch(f, [])
        const all = fs.flat()
        for (const x of qs) {
          const q: VisitQuery = {
            page: x.page,
            itemsPerPage: x.itemsPerPage,
            excludeBots: x.excludeBots,
            startDate: x.start === undefined ? undefined : new Date(T0 + x.start),
            endDate: x.end === undefined ? undefined : new Date(T0 + x.end),
          }
          const model = all
            .filter((v) => !('shortUrlId' in x.scope) || v.shortUrlId === x.scope.shortUrlId)
            .filter((v) => x.start === undefined || v.at >= T0 + x.start)
            .filter((v) => x.end === undefined || v.at <= T0 + x.end)
            .filter((v) => !(x.excludeBots && v.potentialBot))
            .sort((a, b) => b.at - a.at)
          const got = await store.list(x.scope, q)
          const from = (x.page - 1) * x.itemsPerPage
          expect(got.total).toBe(model.length)
          expect(got.items).toEqual(
            model.slice(from, from + x.itemsPerPage).map((v) => ({
              date: new Date(v.at),
              referer: v.referer,
              userAgent: v.userAgent,
              visitedUrl: v.visitedUrl,
              redirectUrl: v.redirectUrl,
              potentialBot: v.potentialBot,
              location: v.location ?? null,
            })),
          )
        }
        await store.settle()
        const counts = await db.query<{ id: number; visit_count: string; bot_count: string }>(
          'SELECT id, visit_count, bot_count FROM short_urls ORDER BY id',
        )
        for (const r of counts.rows) {
          expect(Number(r.visit_count)).toBe(all.filter((v) => v.shortUrlId === Number(r.id)).length)
          expect(Number(r.bot_count)).toBe(
            all.filter((v) => v.shortUrlId === Number(r.id) && v.potentialBot).length,
          )
        }
        expect(await store.deleteFor(1)).toBe(all.filter((v) => v.shortUrlId === 1).length)
        expect(
          (await store.list({ shortUrlId: 1 }, { page: 1, itemsPerPage: 10, excludeBots: false })).total,
        ).toBe(0)
      }),
      { numRuns: backend === 'embedded' ? 25 : 10 },
    )
  }, 120_000)

  it('reads on past a bucket while the next one may hold newer visits than the page has', async () => {
    const db = await freshDb(backend)
    const store = createVisitStore(db, { listPage: 1 })
    const at = (link: number, t: number): VisitRecord => ({
      shortUrlId: link,
      shortCode: `code${link}`,
      at: T0 + t,
      referer: null,
      userAgent: null,
      visitedUrl: null,
      redirectUrl: null,
      potentialBot: false,
      counted: false,
    })
    // One flush, two links interleaved in time: link 2's bucket ends last and is read first, but
    // link 1's bucket holds the second newest visit.
    await store.writeBatch(
      [10, 20, 30, 40].map((t) => at(1, t)).concat([15, 25, 35, 45].map((t) => at(2, t))),
      [],
    )
    const page = await store.list({ all: true }, { page: 1, itemsPerPage: 2, excludeBots: false })
    expect(page.items.map((v) => v.date.getTime() - T0)).toEqual([45, 40])
    const next = await store.list({ all: true }, { page: 2, itemsPerPage: 3, excludeBots: false })
    expect(next.items.map((v) => v.date.getTime() - T0)).toEqual([30, 25, 20])
    expect(next.total).toBe(8)
  })

  it('lists orphan visits of different types in the same millisecond newest first, as they arrived', async () => {
    const db = await freshDb(backend)
    const store = createVisitStore(db)
    const orphan = (type: OrphanVisitType, path: string): OrphanVisitRecord => ({
      type,
      at: T0,
      referer: null,
      userAgent: null,
      visitedUrl: `https://s.test${path}`,
      redirectUrl: null,
    })
    // Arrival order, all in one millisecond and one flush: the types out of their declaration order.
    await store.writeBatch(
      [],
      [orphan('regular_404', '/a/b'), orphan('invalid_short_url', '/no-such'), orphan('base_url', '/')],
    )
    const page = await store.listOrphans({ page: 1, itemsPerPage: 10, excludeBots: false })
    expect(page.items.map((v) => v.visitedUrl)).toEqual([
      'https://s.test/',
      'https://s.test/no-such',
      'https://s.test/a/b',
    ])
  })

  it('splits a link with more visits than a bucket holds, and keeps a deleted link out', async () => {
    const db = await freshDb(backend)
    const store = createVisitStore(db)
    const visits: VisitRecord[] = Array.from({ length: 2_500 }, (_, i) => ({
      shortUrlId: i === 7 ? 99 : 2,
      shortCode: 'code2',
      at: T0 + i,
      referer: null,
      userAgent: 'Mozilla/5.0',
      visitedUrl: null,
      redirectUrl: 'https://example.com/2',
      potentialBot: false,
      counted: i % 2 === 0,
    }))
    await store.writeBatch(visits, [])
    await store.settle()
    const buckets = await db.query<{ n: number }>('SELECT n FROM visit_buckets ORDER BY id')
    expect(buckets.rows.map((r) => Number(r.n))).toEqual([1_000, 1_000, 499])
    const page = await store.list({ shortUrlId: 2 }, { page: 3, itemsPerPage: 1_000, excludeBots: false })
    expect(page.total).toBe(2_499)
    expect(page.items.at(-1)?.date).toEqual(new Date(T0))
    // Visits already counted on the redirect path (links with maxVisits) are not counted twice.
    const link = await db.query<{ visit_count: string }>('SELECT visit_count FROM short_urls WHERE id = 2')
    expect(Number(link.rows[0]!.visit_count)).toBe(1_249)
  })
})

describe('migration from one row per visit to buckets', () => {
  it('keeps every visit, in order, with its fields', async () => {
    const db = await testDb('embedded')
    const first = await mkdtemp(join(tmpdir(), 'bp-sql-'))
    try {
      await copyFile(fileURLToPath(new URL('0001_init.sql', SQL)), join(first, '0001_init.sql'))
      await migrate(db, [{ source: 'system', dir: first }])
      await db.query(
        "INSERT INTO short_urls (id, short_code, long_url) VALUES (1, 'a', 'https://e.example/')",
      )
      await db.query(
        `INSERT INTO visits (short_url_id, date, referer, user_agent, visited_url, redirect_url, potential_bot)
         SELECT 1, to_timestamp(1767225600 + g), CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || g END, 'ua "' || (g % 5),
                'http://s/a', 'https://e.example/', g % 4 = 0
           FROM generate_series(1, 2500) g`,
      )
      await migrate(db, [{ source: 'system', dir: SQL }])
      const store = createVisitStore(db)
      const page = await store.list({ shortUrlId: 1 }, { page: 1, itemsPerPage: 3, excludeBots: false })
      expect(page.total).toBe(2_500)
      expect(page.items[0]).toEqual({
        date: new Date((1767225600 + 2500) * 1000),
        referer: 'r2500',
        userAgent: 'ua "0',
        visitedUrl: 'http://s/a',
        redirectUrl: 'https://e.example/',
        potentialBot: true,
        location: null,
      })
      expect(page.items[1]!.referer).toBeNull() // 2,499 is a multiple of 3
      const humans = await store.list({ all: true }, { page: 1, itemsPerPage: 1, excludeBots: true })
      expect(humans.total).toBe(2_500 - 625)
      // A date range that cuts through two of these buckets opens them (their visits in full, bot flag in each).
      const cut = await store.list(
        { shortUrlId: 1 },
        {
          page: 1,
          itemsPerPage: 1,
          excludeBots: true,
          startDate: new Date((1767225600 + 1000) * 1000),
          endDate: new Date((1767225600 + 1600) * 1000),
        },
      )
      expect(cut.total).toBe(601 - 151)
      const buckets = await db.query<{ n: number }>('SELECT n FROM visit_buckets ORDER BY first_at')
      expect(buckets.rows.map((r) => Number(r.n))).toEqual([1_000, 1_000, 500])
    } finally {
      await rm(first, { recursive: true, force: true })
    }
  })
})

describe.each(BACKENDS)('counter updates of the flusher (%s)', (backend) => {
  it('are mostly heap-only (HOT): no index of short_urls gets an entry for them', async () => {
    const db = await freshDb(backend)
    // Enough links to fill pages (a link row is ~150 bytes: ~50 per 8 kB page).
    await db.query(
      `INSERT INTO short_urls (id, short_code, long_url)
       SELECT g, 'code' || g, 'https://example.com/landing/' || g || '?utm_source=test' FROM generate_series(4, 1000) g`,
    )
    const store = createVisitStore(db)
    const visit = (link: number, t: number): VisitRecord => ({
      shortUrlId: link,
      shortCode: `code${link}`,
      at: T0 + t,
      referer: null,
      userAgent: 'Mozilla/5.0',
      visitedUrl: null,
      redirectUrl: null,
      potentialBot: false,
      counted: false,
    })
    const all = Array.from({ length: 1000 }, (_, i) => i + 1)
    for (let f = 0; f < 5; f++) {
      await store.writeBatch(
        all.map((l) => visit(l, f)),
        [],
      )
      await store.settle()
    }
    // Statistics reach the views at the end of a transaction once flushed; ask for the flush.
    await db.query('SELECT pg_stat_force_next_flush()')
    const { rows } = await db.query<{ upd: string; hot: string; fillfactor: string | null }>(
      `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot,
              (SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor') AS fillfactor
         FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
        WHERE t.schemaname = current_schema() AND t.relname = 'short_urls'`,
    )
    expect(rows[0]!.fillfactor).toBe('70')
    expect(Number(rows[0]!.upd)).toBe(5_000)
    // With full pages (the default fillfactor) 190 of these 5,000 were heap-only: the others moved
    // the row and added an entry to all four indexes. With 30% of each page free, about three in
    // four are, even here where every row of every page changes in every flush (the worst case).
    expect(Number(rows[0]!.hot)).toBeGreaterThan(0.7 * 5_000)
  })
})
