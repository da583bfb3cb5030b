/**
 * The small interfaces the domain needs. The service and the redirect path
 * depend on these, never on pg or ioredis; the adapters are `*.pg.ts` (every
 * durable thing) and `cache.*.ts` (the redirect caches).
 */

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
  target(code: string): Promise<RedirectTarget | undefined>
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

export interface VisitRow {
  date: Date
  referer: string | null
  userAgent: string | null
  visitedUrl: string | null
  redirectUrl: string | null
  potentialBot: boolean
  location: VisitLocation | null
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
  /** Write visits and add them to the counters, in one transaction. */
  writeBatch(visits: VisitRecord[], orphans: VisitsSummary): Promise<void>
  list(scope: VisitScope, q: VisitQuery): Promise<Page<VisitRow>>
  /** Delete a link's visits and zero its counters (maxVisits counts from zero again, as in Shlink). */
  deleteFor(shortUrlId: number): Promise<number>
  tagExists(tag: string): Promise<boolean>
  summary(): Promise<{ nonOrphan: VisitsSummary; orphan: VisitsSummary }>
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
