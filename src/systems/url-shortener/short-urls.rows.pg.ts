/**
 * How a short URL row is read from PostgreSQL: the columns every read selects
 * (tags and redirect rules aggregated in), the driver's row and its mapping
 * to a ShortUrlRow. Shared by the store's writes and its queries.
 */
import type { RedirectRule, ShortUrlRow } from './ports.js'

/** A link's redirect rules as one JSON array in priority order (null when it has none). */
export const RULES = `(SELECT json_agg(json_build_object('longUrl', r.long_url, 'conditions', r.conditions) ORDER BY r.priority)
   FROM redirect_rules r WHERE r.short_url_id = s.id) AS rules`

/** A link's tag names, sorted, as one array (empty when it has none); `s` is short_urls. */
export const TAGS = `coalesce((SELECT array_agg(t.name ORDER BY t.name) FROM short_url_tags st JOIN tags t ON t.id = st.tag_id
            WHERE st.short_url_id = s.id), '{}')`

/** The columns of a ShortUrlRow; `s` is short_urls. */
export const COLUMNS = `s.id, s.short_code, s.long_url, s.date_created, s.valid_since, s.valid_until, s.max_visits,
  s.visit_count, s.bot_count, s.title, s.crawlable, s.forward_query, s.version, ${TAGS} AS tags, ${RULES}`

export interface Row {
  id: string | number
  short_code: string
  long_url: string
  date_created: Date
  valid_since: Date | null
  valid_until: Date | null
  max_visits: number | null
  visit_count: string | number
  bot_count: string | number
  title: string | null
  crawlable: boolean
  forward_query: boolean
  version: string | number
  tags: string[] | null
  rules: RedirectRule[] | string | null
}

/** PGlite and pg both parse json columns; a driver that did not would hand back the text. */
export function rulesOf(raw: RedirectRule[] | string | null | undefined): RedirectRule[] | null {
  if (raw === null || raw === undefined) return null
  return typeof raw === 'string' ? (JSON.parse(raw) as RedirectRule[]) : raw
}

/** The driver's row as a ShortUrlRow. */
export function toRow(r: Row): ShortUrlRow {
  return {
    id: Number(r.id),
    shortCode: r.short_code,
    longUrl: r.long_url,
    dateCreated: r.date_created,
    validSince: r.valid_since,
    validUntil: r.valid_until,
    maxVisits: r.max_visits,
    visitCount: Number(r.visit_count),
    botCount: Number(r.bot_count),
    title: r.title,
    crawlable: r.crawlable,
    forwardQuery: r.forward_query,
    tags: r.tags ?? [],
    rules: rulesOf(r.rules) ?? [],
    version: Number(r.version),
  }
}

/** Dates travel as ISO text: both adapters then agree on how to send them. */
export const iso = (d: Date | null) => (d ? d.toISOString() : null)
