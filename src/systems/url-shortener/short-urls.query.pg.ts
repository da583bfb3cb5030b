/**
 * The read queries over short URLs that build their SQL from a request:
 * the list endpoint (search, tag filters, dates, ordering, paging) and the
 * exact-match lookup behind `findIfExists`. Parameters are always bound.
 */
import type { Db } from '../../platform/db/port.js'
import type { ExistingCriteria, ListQuery, Page, ShortUrlRow } from './ports.js'
import { COLUMNS, iso, type Row, TAGS, toRow } from './short-urls.rows.pg.js'

/** Escape LIKE wildcards so a search term matches literally. */
function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

const ORDER_SQL: Record<string, string> = {
  longUrl: 's.long_url',
  shortCode: 's.short_code',
  dateCreated: 's.date_created',
  title: 's.title',
  visits: 's.visit_count',
  nonBotVisits: '(s.visit_count - s.bot_count)',
}

/** The newest link matching a create request exactly (Shlink's findIfExists). */
export async function findExisting(db: Db, c: ExistingCriteria): Promise<ShortUrlRow | undefined> {
  const where = ['s.long_url = $1']
  const params: unknown[] = [c.longUrl]
  const add = (sql: (p: string) => string, v: unknown) => {
    params.push(v)
    where.push(sql(`$${params.length}`))
  }
  if (c.customSlug !== undefined) add((p) => `s.short_code = ${p}`, c.customSlug)
  if (c.validSince !== undefined)
    c.validSince === null
      ? where.push('s.valid_since IS NULL')
      : add((p) => `s.valid_since = ${p}::timestamptz`, iso(c.validSince))
  if (c.validUntil !== undefined)
    c.validUntil === null
      ? where.push('s.valid_until IS NULL')
      : add((p) => `s.valid_until = ${p}::timestamptz`, iso(c.validUntil))
  if (c.maxVisits !== undefined)
    c.maxVisits === null ? where.push('s.max_visits IS NULL') : add((p) => `s.max_visits = ${p}`, c.maxVisits)
  if (c.tags !== undefined && c.tags.length > 0) {
    const sorted = [...new Set(c.tags)].sort()
    add((p) => `${TAGS} = ${p}::text[]`, sorted)
  }
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM short_urls s WHERE ${where.join(' AND ')} ORDER BY s.date_created DESC, s.id DESC LIMIT 1`,
    params,
  )
  return rows[0] ? toRow(rows[0]) : undefined
}

/** One page of links filtered and ordered as Shlink's list endpoint, and the total. */
export async function listShortUrls(db: Db, q: ListQuery): Promise<Page<ShortUrlRow>> {
  const where: string[] = []
  const params: unknown[] = []
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const tagCount = (names: string) =>
    `(SELECT count(DISTINCT t.name) FROM short_url_tags st JOIN tags t ON t.id = st.tag_id
       WHERE st.short_url_id = s.id AND t.name = ANY(${names}::text[]))`
  if (q.searchTerm) {
    const term = p(likePattern(q.searchTerm))
    where.push(`(s.long_url ILIKE ${term} OR s.short_code ILIKE ${term} OR s.title ILIKE ${term}
      OR EXISTS (SELECT 1 FROM short_url_tags st JOIN tags t ON t.id = st.tag_id
                  WHERE st.short_url_id = s.id AND t.name ILIKE ${term}))`)
  }
  if (q.tags.length > 0) {
    const names = [...new Set(q.tags)]
    where.push(q.tagsMode === 'all' ? `${tagCount(p(names))} = ${names.length}` : `${tagCount(p(names))} > 0`)
  }
  if (q.excludeTags.length > 0) {
    const names = [...new Set(q.excludeTags)]
    where.push(
      q.excludeTagsMode === 'all' ? `${tagCount(p(names))} < ${names.length}` : `${tagCount(p(names))} = 0`,
    )
  }
  if (q.startDate) where.push(`s.date_created >= ${p(q.startDate.toISOString())}::timestamptz`)
  if (q.endDate) where.push(`s.date_created <= ${p(q.endDate.toISOString())}::timestamptz`)
  if (q.excludeMaxVisitsReached) where.push('(s.max_visits IS NULL OR s.visit_count < s.max_visits)')
  if (q.excludePastValidUntil) where.push('(s.valid_until IS NULL OR s.valid_until >= now())')
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const order = q.orderBy
    ? `${ORDER_SQL[q.orderBy.field]} ${q.orderBy.dir} NULLS LAST, s.id ${q.orderBy.dir}`
    : 's.date_created DESC, s.id DESC'
  const countParams = [...params]
  const limit = p(q.itemsPerPage)
  const offset = p((q.page - 1) * q.itemsPerPage)
  const [page, count] = await Promise.all([
    db.query<Row>(
      `SELECT ${COLUMNS} FROM short_urls s ${whereSql} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
      params,
    ),
    db.query<{ n: string | number }>(`SELECT count(*) AS n FROM short_urls s ${whereSql}`, countParams),
  ])
  return { items: page.rows.map(toRow), total: Number(count.rows[0]!.n) }
}
