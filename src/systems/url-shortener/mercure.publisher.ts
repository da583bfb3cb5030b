/**
 * What Shlink publishes on its Mercure hub, in Shlink's payload shapes
 * (PublishingUpdatesGenerator.php): for each written visit, `{shortUrl,
 * visit}` on `https://shlink.io/new-visit` and on
 * `https://shlink.io/new-visit/{shortCode}`; for each orphan visit `{visit}`
 * on `https://shlink.io/new-orphan-visit`; for each created short URL
 * `{shortUrl}` on `https://shlink.io/new-short-url`.
 *
 * Visits are published after the flusher wrote them (so the short URL's
 * `visitsSummary` counts them, and a crash never announces a visit that was
 * lost), with their location. Updates are private: only holders of a
 * subscriber token receive them (visits carry user agents and referers).
 * Nothing is built while nobody listens (`hub.wanted`).
 */
import type { Logger } from '../../platform/telemetry/logger.js'
import type { MercureHub, MercureUpdate } from './mercure.hub.js'
import { Topics } from './mercure.topics.js'
import type { OrphanVisitRecord, OrphanVisitType, ShapedVisits, ShortUrlRow, VisitRecord } from './ports.js'
import { toShortUrl, toVisit } from './shapes.js'

/** Visits of one flush published at most; beyond, they are counted as dropped (a viral link under a dashboard). */
export const MAX_VISITS_PER_FLUSH = 5_000

export interface MercurePublisherDeps {
  hub: MercureHub
  findByCode: (code: string) => Promise<ShortUrlRow | undefined>
  baseUrl: () => string
  log: Logger
  onDropped?: (updates: number) => void
}

type Pending = Omit<MercureUpdate, 'id'>

/** A written visit (of a short URL, or an orphan one of `type`) in Shlink's visit shape. */
function visitOf(v: VisitRecord | OrphanVisitRecord, type?: OrphanVisitType) {
  return toVisit({
    date: new Date(v.at),
    referer: v.referer,
    userAgent: v.userAgent,
    visitedUrl: v.visitedUrl,
    redirectUrl: v.redirectUrl,
    potentialBot: v.potentialBot ?? false,
    location: v.location ?? null,
    ...(type && { type }),
  })
}

export class MercurePublisher {
  /** Publications run one after another, so subscribers see flushes in order. */
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly d: MercurePublisherDeps) {}

  /** Visits the flusher wrote (called after each successful flush). */
  visitsWritten(written: ShapedVisits | readonly VisitRecord[]): void {
    if (written.length === 0 || !this.d.hub.wanted) return
    // Records of their own only now that someone listens.
    const visits = Array.isArray(written)
      ? (written as readonly VisitRecord[])
      : (written as ShapedVisits).records()
    const kept = visits.length > MAX_VISITS_PER_FLUSH ? visits.slice(-MAX_VISITS_PER_FLUSH) : visits
    if (kept.length < visits.length) this.d.onDropped?.(2 * (visits.length - kept.length))
    this.enqueue(async () => {
      const rows = new Map<string, Promise<ShortUrlRow | undefined>>()
      for (const v of kept) if (!rows.has(v.shortCode)) rows.set(v.shortCode, this.d.findByCode(v.shortCode))
      const base = this.d.baseUrl()
      const shortUrls = new Map<string, string>()
      for (const [code, row] of rows) {
        const r = await row
        if (r) shortUrls.set(code, JSON.stringify(toShortUrl(r, base)))
      }
      const out: Pending[] = []
      for (const v of kept) {
        const shortUrl = shortUrls.get(v.shortCode)
        if (shortUrl === undefined) continue // deleted since
        const data = `{"shortUrl":${shortUrl},"visit":${JSON.stringify(visitOf(v))}}`
        out.push({ topics: [Topics.newVisit], data, private: true })
        out.push({ topics: [Topics.newShortUrlVisit(v.shortCode)], data, private: true })
      }
      return out
    })
  }

  /** Orphan visits (to unknown codes, the base URL, other paths) the flusher wrote. */
  orphanVisitsWritten(visits: readonly OrphanVisitRecord[]): void {
    if (visits.length === 0 || !this.d.hub.wanted) return
    this.enqueue(async () =>
      visits.slice(-MAX_VISITS_PER_FLUSH).map((v) => ({
        topics: [Topics.newOrphanVisit],
        data: JSON.stringify({ visit: visitOf(v, v.type) }),
        private: true,
      })),
    )
  }

  /** Short URLs just created. */
  created(rows: readonly ShortUrlRow[]): void {
    if (rows.length === 0 || !this.d.hub.wanted) return
    const base = this.d.baseUrl()
    const out = rows.map((r) => ({
      topics: [Topics.newShortUrl],
      data: JSON.stringify({ shortUrl: toShortUrl(r, base) }),
      private: true,
    }))
    this.enqueue(async () => out)
  }

  /** Resolves when everything handed over so far has been published (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain
  }

  private enqueue(build: () => Promise<Pending[]>): void {
    this.chain = this.chain
      .then(build)
      .then((updates) => this.d.hub.publish(updates))
      .catch((err) => this.d.log.warn({ err }, 'mercure updates not published'))
  }
}
