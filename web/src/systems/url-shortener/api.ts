/**
 * The few calls of the URL shortener's Shlink REST API v3 this page makes.
 * Every call carries the API key in `X-Api-Key`, as Shlink clients do.
 */
import { requestJson } from '../../api/http'

export interface ShortUrl {
  shortCode: string
  shortUrl: string
  longUrl: string
  dateCreated: string
  visitsSummary: { total: number; nonBots: number; bots: number }
  tags: string[]
  title: string | null
}

export interface Visit {
  date: string
  potentialBot: boolean
  referer: string | null
  userAgent: string | null
}

export interface CreateShortUrl {
  longUrl: string
  customSlug?: string
  tags?: string[]
  title?: string
}

interface Paged<T> {
  data: T[]
  pagination: { totalItems: number }
}

/** The largest page the server gives (Shlink's `itemsPerPage`, capped by the server at 5,000). */
export const MAX_VISITS = 5_000

/** A client bound to one API key. */
export function shlinkApi(apiKey: string) {
  const headers = { 'x-api-key': apiKey }
  return {
    /** The newest `count` short URLs. */
    async list(count = 50): Promise<{ items: ShortUrl[]; total: number }> {
      const q = new URLSearchParams({ itemsPerPage: String(count), orderBy: 'dateCreated-DESC' })
      const r = await requestJson<{ shortUrls: Paged<ShortUrl> }>(`/rest/v3/short-urls?${q}`, { headers })
      return { items: r.shortUrls.data, total: r.shortUrls.pagination.totalItems }
    },
    /** Create a short URL; a refusal throws ApiError with Shlink's problem document. */
    create(body: CreateShortUrl): Promise<ShortUrl> {
      return requestJson<ShortUrl>('/rest/v3/short-urls', { method: 'POST', body, headers })
    },
    /** The newest visits of one short URL, or of every short URL. */
    async visits(shortCode?: string): Promise<{ items: Visit[]; total: number }> {
      const path = shortCode
        ? `/rest/v3/short-urls/${encodeURIComponent(shortCode)}/visits`
        : '/rest/v3/visits/non-orphan'
      const r = await requestJson<{ visits: Paged<Visit> }>(`${path}?itemsPerPage=${MAX_VISITS}`, { headers })
      return { items: r.visits.data, total: r.visits.pagination.totalItems }
    },
  }
}
