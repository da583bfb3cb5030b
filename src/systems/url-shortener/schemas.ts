/**
 * TypeBox schemas of the REST API, in Shlink's shapes (docs/swagger of
 * shlinkio/shlink). They validate requests, serialize responses, and feed
 * /openapi.json. Request schemas are lenient where Shlink is (unknown fields
 * are ignored) and strict where a wrong value would be silently misread.
 */
import { type TSchema, Type } from '@sinclair/typebox'
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH } from './codes.js'

/** `T | null` as one JSON Schema type array (ajv coerces type arrays; anyOf it coerces badly). */
function Nullable<T extends TSchema>(schema: T) {
  const { type, ...rest } = schema as unknown as { type: string }
  return Type.Unsafe<T['static'] | null>({ ...rest, type: [type, 'null'] })
}

function StringEnum<const T extends readonly string[]>(values: T, opts: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts })
}

export const MAX_TAGS = 100
export const MAX_TAG_LENGTH = 100
export const MAX_PAGE_SIZE = 5_000

const Tag = Type.String({ maxLength: MAX_TAG_LENGTH })
const Tags = Type.Array(Tag, { maxItems: MAX_TAGS })
const DateText = Type.String({ maxLength: 64, description: 'ISO-8601 date' })

export const ShortCodeParams = Type.Object({
  shortCode: Type.String({ minLength: 1, maxLength: 2048, description: 'The short code (or custom slug)' }),
})

export const DomainQuery = Type.Object({ domain: Type.Optional(Type.String({ maxLength: 253 })) })

export const ShortUrlEdition = Type.Object({
  longUrl: Type.Optional(Type.String({ maxLength: 65_536 })),
  validSince: Type.Optional(Nullable(DateText)),
  validUntil: Type.Optional(Nullable(DateText)),
  maxVisits: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }))),
  tags: Type.Optional(Tags),
  title: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  crawlable: Type.Optional(Type.Boolean()),
  forwardQuery: Type.Optional(Type.Boolean()),
})

export const ShortUrlCreation = Type.Object({
  longUrl: Type.String({ maxLength: 65_536, description: 'The URL to shorten (http or https)' }),
  customSlug: Type.Optional(Type.String({ maxLength: 1024 })),
  findIfExists: Type.Optional(Type.Boolean()),
  validSince: Type.Optional(Nullable(DateText)),
  validUntil: Type.Optional(Nullable(DateText)),
  maxVisits: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }))),
  tags: Type.Optional(Tags),
  title: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  crawlable: Type.Optional(Type.Boolean()),
  forwardQuery: Type.Optional(Type.Boolean()),
  shortCodeLength: Type.Optional(Type.Integer({ minimum: MIN_CODE_LENGTH, maximum: MAX_CODE_LENGTH })),
  domain: Type.Optional(Nullable(Type.String({ maxLength: 253 }))),
})

export const BatchCreation = Type.Object({
  shortUrls: Type.Array(Type.Unknown(), {
    minItems: 1,
    maxItems: 1000,
    description: 'Up to 1,000 bodies of POST /rest/v3/short-urls; each is validated on its own',
  }),
})

export const VisitsSummary = Type.Object({
  total: Type.Integer(),
  nonBots: Type.Integer(),
  bots: Type.Integer(),
})

export const ShortUrl = Type.Object({
  shortCode: Type.String(),
  shortUrl: Type.String(),
  longUrl: Type.String(),
  dateCreated: Type.String({ format: 'date-time' }),
  visitsSummary: VisitsSummary,
  tags: Type.Array(Type.String()),
  meta: Type.Object({
    validSince: Nullable(Type.String()),
    validUntil: Nullable(Type.String()),
    maxVisits: Nullable(Type.Integer()),
  }),
  domain: Nullable(Type.String()),
  title: Nullable(Type.String()),
  crawlable: Type.Boolean(),
  forwardQuery: Type.Boolean(),
  hasRedirectRules: Type.Boolean(),
})

export const Pagination = Type.Object({
  currentPage: Type.Integer(),
  pagesCount: Type.Integer(),
  itemsPerPage: Type.Integer(),
  itemsInCurrentPage: Type.Integer(),
  totalItems: Type.Integer(),
})

/** A Shlink problem document (the `default` response of every route). */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    detail: Type.String(),
    status: Type.Integer(),
  },
  { additionalProperties: true },
)

export const BatchResult = Type.Object({
  results: Type.Array(
    Type.Object({
      ok: Type.Boolean(),
      shortUrl: Type.Optional(ShortUrl),
      error: Type.Optional(Problem),
    }),
  ),
})

const ORDER_BY = [
  'longUrl-ASC',
  'longUrl-DESC',
  'shortCode-ASC',
  'shortCode-DESC',
  'dateCreated-ASC',
  'dateCreated-DESC',
  'title-ASC',
  'title-DESC',
  'visits-ASC',
  'visits-DESC',
  'nonBotVisits-ASC',
  'nonBotVisits-DESC',
] as const

const Mode = StringEnum(['any', 'all'] as const)
const Page = Type.Integer({ minimum: 1, maximum: 1_000_000 })
const PerPage = Type.Integer({ minimum: -1, maximum: MAX_PAGE_SIZE, description: '-1: all (capped)' })

export const ListShortUrlsQuery = Type.Object({
  page: Type.Optional(Page),
  itemsPerPage: Type.Optional(PerPage),
  searchTerm: Type.Optional(Type.String({ maxLength: 1000 })),
  'tags[]': Type.Optional(Tags),
  tags: Type.Optional(Tags),
  tagsMode: Type.Optional(Mode),
  'excludeTags[]': Type.Optional(Tags),
  excludeTags: Type.Optional(Tags),
  excludeTagsMode: Type.Optional(Mode),
  orderBy: Type.Optional(StringEnum(ORDER_BY)),
  startDate: Type.Optional(DateText),
  endDate: Type.Optional(DateText),
  excludeMaxVisitsReached: Type.Optional(Type.Boolean()),
  excludePastValidUntil: Type.Optional(Type.Boolean()),
  domain: Type.Optional(Type.String({ maxLength: 253 })),
})

export const ShortUrlList = Type.Object({
  shortUrls: Type.Object({ data: Type.Array(ShortUrl), pagination: Pagination }),
})

/** Shlink's VisitLocation (empty strings where the database knows nothing; `isEmpty` when it knows nothing at all). */
export const VisitLocation = Type.Object({
  countryCode: Type.String(),
  countryName: Type.String(),
  regionName: Type.String(),
  cityName: Type.String(),
  latitude: Type.Number(),
  longitude: Type.Number(),
  timezone: Type.String(),
  isEmpty: Type.Boolean(),
})

export const Visit = Type.Object({
  referer: Nullable(Type.String()),
  date: Type.String({ format: 'date-time' }),
  userAgent: Nullable(Type.String()),
  visitLocation: Nullable(VisitLocation),
  potentialBot: Type.Boolean(),
  visitedUrl: Nullable(Type.String()),
  redirectUrl: Nullable(Type.String()),
})

export const OrphanVisit = Type.Object({
  ...Visit.properties,
  type: StringEnum(['base_url', 'invalid_short_url', 'regular_404'] as const),
})

export const OrphanVisitList = Type.Object({
  visits: Type.Object({ data: Type.Array(OrphanVisit), pagination: Pagination }),
})

export const VisitsQuery = Type.Object({
  startDate: Type.Optional(DateText),
  endDate: Type.Optional(DateText),
  page: Type.Optional(Page),
  itemsPerPage: Type.Optional(PerPage),
  excludeBots: Type.Optional(Type.Boolean()),
  domain: Type.Optional(Type.String({ maxLength: 253 })),
})

export const OrphanVisitsQuery = Type.Object({
  ...VisitsQuery.properties,
  type: Type.Optional(
    StringEnum(['base_url', 'invalid_short_url', 'regular_404'] as const, {
      description: 'Only visits of this type',
    }),
  ),
})

export const VisitList = Type.Object({
  visits: Type.Object({ data: Type.Array(Visit), pagination: Pagination }),
})

export const VisitStats = Type.Object({
  visits: Type.Object({ nonOrphanVisits: VisitsSummary, orphanVisits: VisitsSummary }),
})

export const TagsQuery = Type.Object({
  page: Type.Optional(Page),
  itemsPerPage: Type.Optional(PerPage),
  searchTerm: Type.Optional(Type.String({ maxLength: 1000 })),
  orderBy: Type.Optional(
    StringEnum([
      'tag-ASC',
      'tag-DESC',
      'shortUrlsCount-ASC',
      'shortUrlsCount-DESC',
      'visits-ASC',
      'visits-DESC',
      'nonBotVisits-ASC',
      'nonBotVisits-DESC',
    ] as const),
  ),
})

export const TagList = Type.Object({
  tags: Type.Object({ data: Type.Array(Type.String()), pagination: Pagination }),
})

export const TagInfo = Type.Object({
  tag: Type.String(),
  shortUrlsCount: Type.Integer(),
  visitsSummary: VisitsSummary,
})

export const TagStatsList = Type.Object({
  tags: Type.Object({ data: Type.Array(TagInfo), pagination: Pagination }),
})

export const TagRenaming = Type.Object({
  oldName: Type.String({ minLength: 1, maxLength: MAX_TAG_LENGTH }),
  newName: Type.String({ minLength: 1, maxLength: MAX_TAG_LENGTH }),
})

export const TagDeletion = Type.Object({
  'tags[]': Type.Optional(Tags),
  tags: Type.Optional(Tags),
})

export const Health = Type.Object({
  status: StringEnum(['pass', 'fail'] as const),
  version: Type.String(),
  links: Type.Object({ about: Type.String(), project: Type.String() }),
})

export const Redirects = Type.Object({
  baseUrlRedirect: Nullable(Type.String()),
  regular404Redirect: Nullable(Type.String()),
  invalidShortUrlRedirect: Nullable(Type.String()),
})

export const DomainList = Type.Object({
  domains: Type.Object({
    data: Type.Array(Type.Object({ domain: Type.String(), isDefault: Type.Boolean(), redirects: Redirects })),
    defaultRedirects: Redirects,
  }),
})

export const QrQuery = Type.Object({
  size: Type.Optional(Type.Integer({ minimum: 50, maximum: 1000, default: 300 })),
  format: Type.Optional(StringEnum(['png', 'svg'] as const)),
  margin: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  errorCorrection: Type.Optional(StringEnum(['L', 'M', 'Q', 'H'] as const)),
  color: Type.Optional(Type.String({ pattern: '^#?[0-9a-fA-F]{6}$' })),
  bgColor: Type.Optional(Type.String({ pattern: '^#?[0-9a-fA-F]{6}$' })),
})

/** The `default` error response every management route declares. */
export const errorResponses = {
  default: { ...Problem, description: 'Shlink problem+json error' },
}
