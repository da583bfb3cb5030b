/**
 * The small interfaces the domain needs. The service and the redirect path
 * depend on these, never on pg or ioredis; the adapters are `*.pg.ts` (every
 * durable thing) and `cache.*.ts` (the redirect caches).
 */

/** Redirect rule conditions, Shlink's (redirect-rules.ts says what each matches). */
export const CONDITION_TYPES = [
  'device',
  'language',
  'query-param',
  'any-value-query-param',
  'valueless-query-param',
  'ip-address',
  'geolocation-country-code',
  'geolocation-city-name',
  'before-date',
  'after-date',
  'browser',
] as const
export type ConditionType = (typeof CONDITION_TYPES)[number]

export interface RedirectCondition {
  type: ConditionType
  matchKey: string | null
  matchValue: string | null
}

/** A rule as stored and cached: its position in the list is its priority. */
export interface RedirectRule {
  longUrl: string
  conditions: RedirectCondition[]
}

/** A short URL as stored, with its tags and visit counters. */
export interface ShortUrlRow {
  id: number
  shortCode: string
  longUrl: string
  dateCreated: Date
  validSince: Date | null
  validUntil: Date | null
  maxVisits: number | null
  visitCount: number
  botCount: number
  title: string | null
  crawlable: boolean
  forwardQuery: boolean
  tags: string[]
  /** Redirect rules in priority order (empty: none). */
  rules: RedirectRule[]
  version: number
}

export interface NewShortUrl {
  id: number
  shortCode: string
  longUrl: string
  validSince: Date | null
  validUntil: Date | null
  maxVisits: number | null
  title: string | null
  crawlable: boolean
  forwardQuery: boolean
  tags: string[]
  apiKeyId: number | null
}

/** A PATCH: absent fields are left as they are; `null` clears. */
export interface ShortUrlPatch {
  longUrl?: string
  validSince?: Date | null
  validUntil?: Date | null
  maxVisits?: number | null
  title?: string | null
  crawlable?: boolean
  forwardQuery?: boolean
  tags?: string[]
}

export const ORDER_FIELDS = [
  'longUrl',
  'shortCode',
  'dateCreated',
  'title',
  'visits',
  'nonBotVisits',
] as const
export type OrderField = (typeof ORDER_FIELDS)[number]

export interface ListQuery {
  page: number
  /** Rows per page, already capped. */
  itemsPerPage: number
  searchTerm?: string
  tags: string[]
  tagsMode: 'any' | 'all'
  excludeTags: string[]
  excludeTagsMode: 'any' | 'all'
  orderBy?: { field: OrderField; dir: 'ASC' | 'DESC' }
  startDate?: Date
  endDate?: Date
  excludeMaxVisitsReached: boolean
  excludePastValidUntil: boolean
}

export interface Page<T> {
  items: T[]
  total: number
}

/** What the redirect path needs to know about a link; small, so it is cheap in every cache tier. */
export interface RedirectTarget {
  id: number
  longUrl: string
  forwardQuery: boolean
  /** Epoch ms, or null. */
  validSince: number | null
  validUntil: number | null
  maxVisits: number | null
  /** Redirect rules in priority order; null when the link has none (most links: nothing to try). */
  rules: RedirectRule[] | null
  version: number
}

/** The criteria `findIfExists` matches on (every given one must match). */
export interface ExistingCriteria {
  longUrl: string
  customSlug?: string
  validSince?: Date | null
  validUntil?: Date | null
  maxVisits?: number | null
  tags?: string[]
}

export interface ShortUrlStore {
  /** The installation's code permutation key, created on first call. */
  codeKey(candidate: Uint8Array): Promise<Uint8Array>
  /** Insert; 'conflict' when the short code is taken. */
  insert(link: NewShortUrl): Promise<ShortUrlRow | 'conflict'>
  /** Insert many in one statement; the returned map has no entry for codes that were taken. */
  insertMany(links: NewShortUrl[]): Promise<Map<string, ShortUrlRow>>
  findByCode(code: string): Promise<ShortUrlRow | undefined>
  findExisting(c: ExistingCriteria): Promise<ShortUrlRow | undefined>
  /** The redirect targets of `codes` in one read; codes that do not exist have no entry. */
  targets(codes: readonly string[]): Promise<Map<string, RedirectTarget>>
  list(q: ListQuery): Promise<Page<ShortUrlRow>>
  update(code: string, patch: ShortUrlPatch): Promise<ShortUrlRow | undefined>
  /** Delete a link and its visits; returns a version newer than any the link had. */
  delete(code: string): Promise<{ version: number } | undefined>
  /**
   * Count one visit of a link that has max_visits, atomically:
   * `UPDATE ... SET visit_count = visit_count + 1 WHERE visit_count < max_visits`.
   * False when the link is exhausted or gone.
   */
  countVisit(id: number): Promise<boolean>
  /** Replace a link's redirect rules (priority = position + 1) and give the link a new version. */
  setRules(id: number, rules: RedirectRule[]): Promise<void>
}

export interface TagQuery {
  page: number
  itemsPerPage: number
  searchTerm?: string
  orderBy?: { field: 'tag' | 'shortUrlsCount' | 'visits' | 'nonBotVisits'; dir: 'ASC' | 'DESC' }
}

export interface TagStats {
  tag: string
  shortUrlsCount: number
  visits: number
  bots: number
}

export interface TagStore {
  list(q: TagQuery): Promise<Page<string>>
  stats(q: TagQuery): Promise<Page<TagStats>>
  rename(oldName: string, newName: string): Promise<'ok' | 'not-found' | 'conflict'>
  delete(names: string[]): Promise<number>
}

/** Where a visit came from, in Shlink's `visitLocation` shape (empty strings where the database knows nothing). */
export interface VisitLocation {
  countryCode: string
  countryName: string
  regionName: string
  cityName: string
  latitude: number
  longitude: number
  timezone: string
}

/** One visit, as buffered on the redirect path. */
export interface VisitRecord {
  shortUrlId: number
  /** The link's code (Mercure topics name it). */
  shortCode: string
  /** Epoch ms (a number: no Date allocated on the redirect path). */
  at: number
  referer: string | null
  userAgent: string | null
  visitedUrl: string | null
  redirectUrl: string | null
  /** Decided at flush time (off the redirect path). */
  potentialBot?: boolean
  /** Already counted in visit_count on the redirect path (links with maxVisits). */
  counted: boolean
  /** The client's address, kept only until the flush locates it (never stored); absent with geolocation off. */
  ip?: string | undefined
  /** Set at flush time from `ip` (null: private address, unknown, or geolocation off). */
  location?: VisitLocation | null
}

/** Everything about a visit but its time: shared by a link's visits of a flush that agree on all of it. */
export type VisitShape = Omit<VisitRecord, 'at'>

/** The visits of a flush as the buffer holds them: each one's shape and time (visits.batch.ts). */
export interface ShapedVisits {
  readonly shapes: readonly VisitShape[]
  readonly at: readonly number[]
  readonly length: number
  /** The visits as records of their own. */
  records(): VisitRecord[]
}

export const ORPHAN_VISIT_TYPES = ['base_url', 'invalid_short_url', 'regular_404'] as const
/** Shlink's orphan visits: to the base URL, to an unknown short code, to any other missing path. */
export type OrphanVisitType = (typeof ORPHAN_VISIT_TYPES)[number]

/** A visit that found no short URL, as buffered. */
export interface OrphanVisitRecord {
  type: OrphanVisitType
  /** Epoch ms. */
  at: number
  referer: string | null
  userAgent: string | null
  visitedUrl: string | null
  /** Where the visitor was sent instead (a configured "not found" redirect), or null. */
  redirectUrl: string | null
  potentialBot?: boolean
  /** As VisitRecord's: the client's address until the flush locates it, then its location. */
  ip?: string | undefined
  location?: VisitLocation | null
}

export interface VisitRow {
  date: Date
  referer: string | null
  userAgent: string | null
  visitedUrl: string | null
  redirectUrl: string | null
  potentialBot: boolean
  location: VisitLocation | null
  /** Orphan visits only. */
  type?: OrphanVisitType
}

export interface VisitQuery {
  page: number
  itemsPerPage: number
  startDate?: Date
  endDate?: Date
  excludeBots: boolean
}

export interface VisitsSummary {
  total: number
  bots: number
}

/** Whose visits: one link's, a tag's links', or every link's (non-orphan). */
export type VisitScope = { shortUrlId: number } | { tag: string } | { all: true }

export interface VisitStore {
  /** Write visits and orphan visits, durably, in one transaction (visits.write.pg.ts). */
  writeBatch(visits: ShapedVisits | readonly VisitRecord[], orphans: OrphanVisitRecord[]): Promise<void>
  /**
   * Make every visit written so far visible to reads: in lists and in the links' counters. The
   * store's own reads do it; whoever reads counters elsewhere (short URL rows, tag stats) calls it
   * first. On PGlite it rolls the visits journal up; `onlyIfDue`: only when one is due.
   */
  settle(onlyIfDue?: boolean): Promise<void>
  /** Visits written but not settled yet (PGlite's journal; always 0 on PostgreSQL). */
  journaled(): number
  list(scope: VisitScope, q: VisitQuery): Promise<Page<VisitRow>>
  /** Orphan visits, newest first; of one type when given. */
  listOrphans(q: VisitQuery, type?: OrphanVisitType): Promise<Page<VisitRow>>
  /** Delete every orphan visit and zero the orphan counters; the number of stored visits deleted. */
  deleteOrphans(): Promise<number>
  /** Delete a link's visits and zero its counters (maxVisits counts from zero again, as in Shlink). */
  deleteFor(shortUrlId: number): Promise<number>
  tagExists(tag: string): Promise<boolean>
  summary(): Promise<{ nonOrphan: VisitsSummary; orphan: VisitsSummary }>
}

/** Where "not found" visits go instead of a 404 (Shlink's NotFoundRedirects); null: nowhere. */
export interface NotFoundRedirects {
  baseUrlRedirect: string | null
  regular404Redirect: string | null
  invalidShortUrlRedirect: string | null
}

export interface DomainRow {
  /** Host name with an optional port, lower-case. */
  authority: string
  redirects: NotFoundRedirects
}

export interface DomainStore {
  /** Every domain with a row, by authority. */
  all(): Promise<DomainRow[]>
  /** Create the domain if needed and merge the redirects given (absent: kept, null: cleared). */
  upsertRedirects(authority: string, patch: Partial<NotFoundRedirects>): Promise<DomainRow>
}

export interface ApiKeyRow {
  id: number
  name: string
  createdAt: Date
  expiresAt: Date | null
  enabled: boolean
}

export interface ApiKeyStore {
  create(name: string, keyHash: string, expiresAt: Date | null): Promise<ApiKeyRow | 'exists'>
  findByHash(keyHash: string): Promise<ApiKeyRow | undefined>
  list(): Promise<ApiKeyRow[]>
  disable(name: string): Promise<number>
}

/** A cache answer: a miss, or a hit that may be negative (the code is known not to exist). */
export type CacheLookup = { hit: false } | { hit: true; target: RedirectTarget | null }

/**
 * The tier shared by every process (Redis). Entries carry the version they
 * were read at; `put` never replaces a newer entry with an older one.
 */
export interface SharedCache {
  get(code: string): Promise<CacheLookup>
  /** Store what a reader found (`null`: not found) at `version` (0 for not found). */
  put(code: string, target: RedirectTarget | null, version: number): Promise<void>
  /** Write-through after a create/edit/delete, with the write's version. */
  putMany(entries: { code: string; target: RedirectTarget | null; version: number }[]): Promise<void>
  close(): Promise<void>
}
