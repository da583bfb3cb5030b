/** Tags in PostgreSQL: listing (with stats), renaming and deleting. */
import type { Db } from '../../platform/db/port.js'
import type { Page, TagQuery, TagStats, TagStore } from './ports.js'

const STATS_ORDER: Record<string, string> = {
  tag: 'name',
  shortUrlsCount: 'short_urls_count',
  visits: 'visits',
  nonBotVisits: '(visits - bots)',
}

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export function createTagStore(db: Db): TagStore {
  function filter(q: TagQuery): { where: string; params: unknown[] } {
    if (!q.searchTerm) return { where: '', params: [] }
    return { where: 'WHERE t.name ILIKE $1', params: [likePattern(q.searchTerm)] }
  }

  return {
    async list(q): Promise<Page<string>> {
      const { where, params } = filter(q)
      const dir = q.orderBy?.dir ?? 'ASC'
      const n = params.length
      const [page, count] = await Promise.all([
        db.query<{ name: string }>(
          `SELECT t.name FROM tags t ${where} ORDER BY t.name ${dir} LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...params, q.itemsPerPage, (q.page - 1) * q.itemsPerPage],
        ),
        db.query<{ n: string | number }>(`SELECT count(*) AS n FROM tags t ${where}`, params),
      ])
      return { items: page.rows.map((r) => r.name), total: Number(count.rows[0]!.n) }
    },

    async stats(q): Promise<Page<TagStats>> {
      const { where, params } = filter(q)
      const order = q.orderBy ? `${STATS_ORDER[q.orderBy.field]} ${q.orderBy.dir}, name ASC` : 'name ASC'
      const n = params.length
      const [page, count] = await Promise.all([
        db.query<{
          name: string
          short_urls_count: string | number
          visits: string | number
          bots: string | number
        }>(
          `SELECT * FROM (
             SELECT t.name, count(s.id) AS short_urls_count,
                    coalesce(sum(s.visit_count), 0) AS visits, coalesce(sum(s.bot_count), 0) AS bots
               FROM tags t
               LEFT JOIN short_url_tags st ON st.tag_id = t.id
               LEFT JOIN short_urls s ON s.id = st.short_url_id
               ${where}
              GROUP BY t.id, t.name
           ) x ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...params, q.itemsPerPage, (q.page - 1) * q.itemsPerPage],
        ),
        db.query<{ n: string | number }>(`SELECT count(*) AS n FROM tags t ${where}`, params),
      ])
      return {
        items: page.rows.map((r) => ({
          tag: r.name,
          shortUrlsCount: Number(r.short_urls_count),
          visits: Number(r.visits),
          bots: Number(r.bots),
        })),
        total: Number(count.rows[0]!.n),
      }
    },

    async rename(oldName, newName) {
      if (oldName === newName) {
        const { rows } = await db.query('SELECT 1 FROM tags WHERE name = $1', [oldName])
        return rows.length > 0 ? 'ok' : 'not-found'
      }
      return db.tx(async (tx) => {
        // The unique constraint on name is the final judge; the pre-check gives the right answer.
        const { rows: taken } = await tx.query('SELECT 1 FROM tags WHERE name = $1', [newName])
        if (taken.length > 0) {
          const { rows: exists } = await tx.query('SELECT 1 FROM tags WHERE name = $1', [oldName])
          return exists.length > 0 ? 'conflict' : 'not-found'
        }
        const { rows } = await tx.query('UPDATE tags SET name = $2 WHERE name = $1 RETURNING id', [
          oldName,
          newName,
        ])
        return rows.length > 0 ? 'ok' : 'not-found'
      })
    },

    async delete(names) {
      if (names.length === 0) return 0
      const { rowCount } = await db.query('DELETE FROM tags WHERE name = ANY($1::text[])', [names])
      return rowCount
    },
  }
}
