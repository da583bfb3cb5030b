/** Domain rows -> Shlink's JSON shapes (ShortUrl, Visit, Pagination, VisitsSummary). */
import type { Static } from '@sinclair/typebox'
import type { ShortUrlRow, VisitRow, VisitsSummary } from './ports.js'
import type { Pagination, ShortUrl, Visit } from './schemas.js'

/** Shlink writes dates as ATOM: `2016-08-21T20:34:16+00:00` (seconds, explicit offset). */
export function atom(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`
}

export function summary(s: VisitsSummary): { total: number; nonBots: number; bots: number } {
  return { total: s.total, nonBots: s.total - s.bots, bots: s.bots }
}

export function toShortUrl(row: ShortUrlRow, baseUrl: string): Static<typeof ShortUrl> {
  return {
    shortCode: row.shortCode,
    shortUrl: `${baseUrl}/${row.shortCode}`,
    longUrl: row.longUrl,
    dateCreated: atom(row.dateCreated),
    visitsSummary: summary({ total: row.visitCount, bots: row.botCount }),
    tags: row.tags,
    meta: {
      validSince: row.validSince ? atom(row.validSince) : null,
      validUntil: row.validUntil ? atom(row.validUntil) : null,
      maxVisits: row.maxVisits,
    },
    domain: null,
    title: row.title,
    crawlable: row.crawlable,
    forwardQuery: row.forwardQuery,
    hasRedirectRules: row.rules.length > 0,
  }
}

export function toVisit(v: VisitRow): Static<typeof Visit> & { type?: VisitRow['type'] } {
  return {
    ...(v.type && { type: v.type }),
    referer: v.referer,
    date: atom(v.date),
    userAgent: v.userAgent,
    visitLocation: v.location ? { ...v.location, isEmpty: false } : null,
    potentialBot: v.potentialBot,
    visitedUrl: v.visitedUrl,
    redirectUrl: v.redirectUrl,
  }
}

export function pagination(
  page: number,
  perPage: number,
  total: number,
  inPage: number,
): Static<typeof Pagination> {
  return {
    currentPage: page,
    pagesCount: perPage > 0 ? Math.ceil(total / perPage) : total > 0 ? 1 : 0,
    itemsPerPage: perPage,
    itemsInCurrentPage: inPage,
    totalItems: total,
  }
}

/** Shlink's `itemsPerPage`: -1 means all; we cap "all" (and anything else) at `max`. */
export function pageSize(requested: number | undefined, fallback: number, max: number): number {
  if (requested === undefined) return fallback
  if (requested === -1 || requested > max) return max
  return Math.max(1, requested)
}
