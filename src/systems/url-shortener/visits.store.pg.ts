/**
 * Visits in PostgreSQL, stored in buckets (visits.bucket.ts): reading them
 * (lists merge buckets newest first, counts open only the buckets that
 * straddle a date bound) and deleting them. Writing is visits.write.pg.ts;
 * every read here settles first, so it sees every visit flushed before it.
 */
import type { Db } from '../../platform/db/port.js'
import {
  ORPHAN_VISIT_TYPES,
  type OrphanVisitType,
  type Page,
  type VisitQuery,
  type VisitRow,
  type VisitScope,
  type VisitStore,
} from './ports.js'
import { type BucketDoc, type DecodedVisit, decodeBucket, newestFirst } from './visits.bucket.js'
import { createVisitWriter, type VisitWriterOptions } from './visits.write.pg.js'

export interface VisitStoreOptions extends VisitWriterOptions {
  /** Buckets read per query of a list (default 200; tests make it tiny to exercise the merge). */
  listPage?: number
}

interface BucketRow {
  id: string | number
  last_at: string | number
  visits: BucketDoc | string
  type: number | null
}

export function createVisitStore(db: Db, opts: VisitStoreOptions = {}): VisitStore {
  const listPage = opts.listPage ?? 200
  const writer = createVisitWriter(db, opts)
  return {
    writeBatch: writer.writeBatch,
    settle: writer.settle,
    journaled: writer.journaled,

    async list(scope: VisitScope, q: VisitQuery): Promise<Page<VisitRow>> {
      await writer.settle()
      const params: unknown[] = []
      const where: string[] = []
      if ('shortUrlId' in scope) {
        params.push(scope.shortUrlId)
        where.push('short_url_id = $3')
      } else if ('tag' in scope) {
        params.push(scope.tag)
        where.push(`short_url_id IN (SELECT st.short_url_id FROM short_url_tags st JOIN tags t ON t.id = st.tag_id
                                      WHERE t.name = $3)`)
      }
      return listBuckets(db, 'visit_buckets', where, params, q, listPage)
    },

    async listOrphans(q: VisitQuery, type?: OrphanVisitType): Promise<Page<VisitRow>> {
      if (type === undefined) return listBuckets(db, 'orphan_visit_buckets', [], [], q, listPage)
      return listBuckets(
        db,
        'orphan_visit_buckets',
        ['type = $3'],
        [ORPHAN_VISIT_TYPES.indexOf(type)],
        q,
        listPage,
      )
    },

    async deleteOrphans() {
      return db.tx(async (tx) => {
        const { rows } = await tx.query<{ n: string | number }>(
          'WITH d AS (DELETE FROM orphan_visit_buckets RETURNING n) SELECT coalesce(sum(n), 0) AS n FROM d',
        )
        await tx.query('UPDATE orphan_visits SET total = 0, bots = 0 WHERE id = 1')
        return Number(rows[0]!.n)
      })
    },

    async deleteFor(shortUrlId) {
      await writer.settle()
      return db.tx(async (tx) => {
        const { rows } = await tx.query<{ n: string | number }>(
          'WITH d AS (DELETE FROM visit_buckets WHERE short_url_id = $1 RETURNING n) SELECT coalesce(sum(n), 0) AS n FROM d',
          [shortUrlId],
        )
        await tx.query('UPDATE short_urls SET visit_count = 0, bot_count = 0 WHERE id = $1', [shortUrlId])
        return Number(rows[0]!.n)
      })
    },

    async tagExists(tag) {
      const { rows } = await db.query('SELECT 1 FROM tags WHERE name = $1', [tag])
      return rows.length > 0
    },

    async summary() {
      await writer.settle()
      const { rows } = await db.query<{
        total: string | number
        bots: string | number
        ot: string | number
        ob: string | number
      }>(
        `SELECT coalesce(sum(visit_count), 0) AS total, coalesce(sum(bot_count), 0) AS bots,
                (SELECT total FROM orphan_visits WHERE id = 1) AS ot, (SELECT bots FROM orphan_visits WHERE id = 1) AS ob
           FROM short_urls`,
      )
      const r = rows[0]!
      return {
        nonOrphan: { total: Number(r.total), bots: Number(r.bots) },
        orphan: { total: Number(r.ot ?? 0), bots: Number(r.ob ?? 0) },
      }
    },
  }
}

/**
 * One page of the visits in `table` (visit_buckets or orphan_visit_buckets) that match `where`
 * (whose parameters start at $3; $1 and $2 are the date range), newest first, and their total.
 */
async function listBuckets(
  db: Db,
  table: 'visit_buckets' | 'orphan_visit_buckets',
  extraWhere: string[],
  extraParams: unknown[],
  q: VisitQuery,
  listPage: number,
): Promise<Page<VisitRow>> {
  const from = q.startDate?.getTime() ?? 0
  const to = q.endDate?.getTime() ?? Number.MAX_SAFE_INTEGER
  const params: unknown[] = [from, to, ...extraParams]
  const w = ['last_at >= $1::bigint', 'first_at <= $2::bigint', ...extraWhere].join(' AND ')
  const typeColumn = table === 'orphan_visit_buckets' ? 'type' : 'NULL::smallint AS type'
  const keep = (v: DecodedVisit) => v.at >= from && v.at <= to && !(q.excludeBots && v.potentialBot)
  const offset = (q.page - 1) * q.itemsPerPage
  const need = offset + q.itemsPerPage

  // Buckets come newest last visit first; a bucket whose last visit is older than the `need`-th
  // newest visit kept so far cannot contribute to the page, and neither can any after it.
  const kept: (DecodedVisit & { type?: OrphanVisitType })[] = []
  let after: { lastAt: number; id: number } | undefined
  for (;;) {
    const n = params.length
    const { rows } = await db.query<BucketRow>(
      `SELECT id, last_at, visits, ${typeColumn} FROM ${table}
        WHERE ${w}${after ? ` AND (last_at, id) < ($${n + 1}::bigint, $${n + 2}::bigint)` : ''}
        ORDER BY last_at DESC, id DESC LIMIT ${listPage}`,
      after ? [...params, after.lastAt, after.id] : params,
    )
    if (rows.length === 0) break
    if (kept.length >= need) {
      kept.sort(newestFirst)
      kept.length = need
      if (Number(rows[0]!.last_at) < kept[need - 1]!.at) break
    }
    for (const r of rows) {
      const doc = typeof r.visits === 'string' ? (JSON.parse(r.visits) as BucketDoc) : r.visits
      const type = r.type === null ? undefined : ORPHAN_VISIT_TYPES[r.type]
      for (const v of decodeBucket(Number(r.id), doc)) if (keep(v)) kept.push(type ? { ...v, type } : v)
    }
    const last = rows[rows.length - 1]!
    after = { lastAt: Number(last.last_at), id: Number(last.id) }
    if (rows.length < listPage) break
  }
  kept.sort(newestFirst)
  const items = kept
    .slice(offset, need)
    .map(({ date, referer, userAgent, visitedUrl, redirectUrl, potentialBot, location, type }) => ({
      date,
      referer,
      userAgent,
      visitedUrl,
      redirectUrl,
      potentialBot,
      location,
      ...(type && { type }),
    }))
  return { items, total: await countVisits(db, table, w, params, q.excludeBots) }
}

/**
 * Visits matching a list's filters: buckets wholly inside the date range are counted from their
 * columns; only the (at most a few) buckets straddling a bound are opened. A visit's bot flag is in
 * its shape ("p"), or in the visit itself in documents written before shapes (visits.bucket.ts).
 */
async function countVisits(
  db: Db,
  table: string,
  where: string,
  params: unknown[],
  excludeBots: boolean,
): Promise<number> {
  const { rows } = await db.query<{ n: string | number | null }>(
    `SELECT coalesce(sum(CASE WHEN first_at >= $1::bigint AND last_at <= $2::bigint
                              THEN n - CASE WHEN ${excludeBots} THEN bots ELSE 0 END
                              ELSE (SELECT count(*) FROM json_array_elements(visits->'v') x
                                     WHERE (visits->>'t')::bigint + (x->>0)::bigint BETWEEN $1::bigint AND $2::bigint
                                       AND NOT (${excludeBots} AND CASE WHEN visits->'p' IS NULL THEN x->>5
                                                                 ELSE visits->'p'->((x->>1)::int)->>4 END = '1')) END), 0) AS n
       FROM ${table} WHERE ${where}`,
    params,
  )
  return Number(rows[0]!.n ?? 0)
}
