/**
 * Visits in PostgreSQL. The flusher writes a whole buffer in one
 * transaction: lock the affected links in id order (two processes flushing
 * at once then never deadlock), add the counters, insert the visit rows,
 * and add orphan visits to their counter row.
 */
import type { Db } from '../../platform/db/port.js'
import type {
  Page,
  VisitQuery,
  VisitRecord,
  VisitRow,
  VisitScope,
  VisitStore,
  VisitsSummary,
} from './ports.js'

interface Row {
  date: Date
  referer: string | null
  user_agent: string | null
  visited_url: string | null
  redirect_url: string | null
  potential_bot: boolean
}

/** Rows per statement of a flush. */
const CHUNK = 500

export function createVisitStore(db: Db): VisitStore {
  return {
    async writeBatch(visits: VisitRecord[], orphans: VisitsSummary) {
      // Per-link deltas: uncounted visits (links with maxVisits were counted on the redirect path)
      // and bots (always counted here).
      const deltas = new Map<number, { total: number; bots: number }>()
      for (const v of visits) {
        const d = deltas.get(v.shortUrlId) ?? { total: 0, bots: 0 }
        if (!v.counted) d.total++
        if (v.potentialBot) d.bots++
        deltas.set(v.shortUrlId, d)
      }
      const ids = [...deltas.keys()].sort((a, b) => a - b)
      await db.tx(async (tx) => {
        // PGlite is one connection: nobody else can hold these locks, and the query costs a tenth of the flush.
        if (db.kind === 'pg' && ids.length > 0)
          await tx.query('SELECT id FROM short_urls WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [
            ids,
          ])
        // In chunks: PGlite runs each statement on the event loop's thread, so one statement per
        // CHUNK rows bounds the pause a flush puts on redirects (a few milliseconds, not a hundred).
        for (let i = 0; i < ids.length; i += CHUNK) {
          const part = ids.slice(i, i + CHUNK)
          await tx.query(
            `UPDATE short_urls s SET visit_count = s.visit_count + d.total, bot_count = s.bot_count + d.bots
               FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS d(id, total, bots)
              WHERE s.id = d.id`,
            [part, part.map((id) => deltas.get(id)!.total), part.map((id) => deltas.get(id)!.bots)],
          )
        }
        for (let i = 0; i < visits.length; i += CHUNK) {
          const part = visits.slice(i, i + CHUNK)
          // Visits of links deleted since they were buffered are dropped by the join.
          await tx.query(
            `INSERT INTO visits (short_url_id, date, referer, user_agent, visited_url, redirect_url, potential_bot)
             SELECT v.* FROM unnest($1::bigint[], $2::text[]::timestamptz[], $3::text[], $4::text[], $5::text[],
                                    $6::text[], $7::bool[])
                      AS v(short_url_id, date, referer, user_agent, visited_url, redirect_url, potential_bot)
               JOIN short_urls s ON s.id = v.short_url_id`,
            [
              part.map((v) => v.shortUrlId),
              part.map((v) => new Date(v.at).toISOString()),
              part.map((v) => v.referer),
              part.map((v) => v.userAgent),
              part.map((v) => v.visitedUrl),
              part.map((v) => v.redirectUrl),
              part.map((v) => v.potentialBot ?? false),
            ],
          )
        }
        if (orphans.total > 0)
          await tx.query('UPDATE orphan_visits SET total = total + $1, bots = bots + $2 WHERE id = 1', [
            orphans.total,
            orphans.bots,
          ])
      })
    },

    async list(scope: VisitScope, q: VisitQuery): Promise<Page<VisitRow>> {
      const where: string[] = []
      const params: unknown[] = []
      if ('shortUrlId' in scope) {
        params.push(scope.shortUrlId)
        where.push('short_url_id = $1')
      } else if ('tag' in scope) {
        params.push(scope.tag)
        where.push(`short_url_id IN (SELECT st.short_url_id FROM short_url_tags st JOIN tags t ON t.id = st.tag_id
                                      WHERE t.name = $1)`)
      } else where.push('true')
      if (q.startDate) {
        params.push(q.startDate.toISOString())
        where.push(`date >= $${params.length}::timestamptz`)
      }
      if (q.endDate) {
        params.push(q.endDate.toISOString())
        where.push(`date <= $${params.length}::timestamptz`)
      }
      if (q.excludeBots) where.push('NOT potential_bot')
      const w = where.join(' AND ')
      const n = params.length
      const [page, count] = await Promise.all([
        db.query<Row>(
          `SELECT date, referer, user_agent, visited_url, redirect_url, potential_bot FROM visits
            WHERE ${w} ORDER BY date DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...params, q.itemsPerPage, (q.page - 1) * q.itemsPerPage],
        ),
        db.query<{ n: string | number }>(`SELECT count(*) AS n FROM visits WHERE ${w}`, params),
      ])
      return {
        items: page.rows.map((r) => ({
          date: r.date,
          referer: r.referer,
          userAgent: r.user_agent,
          visitedUrl: r.visited_url,
          redirectUrl: r.redirect_url,
          potentialBot: r.potential_bot,
        })),
        total: Number(count.rows[0]!.n),
      }
    },

    async deleteFor(shortUrlId) {
      return db.tx(async (tx) => {
        const { rowCount } = await tx.query('DELETE FROM visits WHERE short_url_id = $1', [shortUrlId])
        await tx.query('UPDATE short_urls SET visit_count = 0, bot_count = 0 WHERE id = $1', [shortUrlId])
        return rowCount
      })
    },

    async tagExists(tag) {
      const { rows } = await db.query('SELECT 1 FROM tags WHERE name = $1', [tag])
      return rows.length > 0
    },

    async summary() {
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
