/**
 * Visits: of one short URL, of a tag, of a domain, of every short URL
 * (non-orphan), orphan visits (to the base URL, unknown codes and other
 * missing paths), the global summary, and deleting a short URL's or the
 * orphan visits.
 */
import type { Static } from '@sinclair/typebox'
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import type { Domains } from './domains.js'
import { normalizeTags } from './input.js'
import type { Page, VisitQuery, VisitRow } from './ports.js'
import {
  MAX_PAGE_SIZE,
  OrphanVisitList,
  OrphanVisitsQuery,
  ShortCodeParams,
  VisitList,
  VisitStats,
  VisitsQuery,
} from './schemas.js'
import { ShortUrlService } from './service.js'
import { pageSize, pagination, summary, toVisit } from './shapes.js'
import { ShlinkErrors } from './shlink-errors.js'

const TAGS = ['Visits']

function visitQuery(q: Static<typeof VisitsQuery>): VisitQuery {
  const startDate = ShortUrlService.optionalDate(q.startDate, 'startDate')
  const endDate = ShortUrlService.optionalDate(q.endDate, 'endDate')
  return {
    page: q.page ?? 1,
    itemsPerPage: pageSize(q.itemsPerPage, MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    ...(startDate && { startDate }),
    ...(endDate && { endDate }),
    excludeBots: q.excludeBots ?? false,
  }
}

function visitList(q: VisitQuery, result: Page<VisitRow>) {
  return {
    visits: {
      data: result.items.map(toVisit),
      pagination: pagination(q.page, q.itemsPerPage, result.total, result.items.length),
    },
  }
}

const EMPTY: Page<VisitRow> = { items: [], total: 0 }

export function visitRoutes(api: TypedApp, service: ShortUrlService, domains: Domains): void {
  const listSchema = { querystring: VisitsQuery, response: { 200: VisitList } }

  api.get(
    '/short-urls/:shortCode/visits',
    {
      schema: {
        tags: TAGS,
        summary: 'List visits for short URL',
        description:
          'Newest first. Visits are written in batches: one may take up to the flush interval to appear.',
        params: ShortCodeParams,
        ...listSchema,
      },
    },
    async (request) => {
      const q = visitQuery(request.query)
      return visitList(q, await service.visits(request.params.shortCode, q))
    },
  )

  api.delete(
    '/short-urls/:shortCode/visits',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete visits for short URL',
        params: ShortCodeParams,
        response: { 200: Type.Object({ deletedVisits: Type.Integer() }) },
      },
    },
    async (request) => ({ deletedVisits: await service.deleteVisits(request.params.shortCode) }),
  )

  api.get(
    '/tags/:tag/visits',
    {
      schema: {
        tags: TAGS,
        summary: 'List visits for tag',
        params: Type.Object({ tag: Type.String({ minLength: 1, maxLength: 100 }) }),
        ...listSchema,
      },
    },
    async (request) => {
      const [tag] = normalizeTags([request.params.tag])
      if (!tag) throw ShlinkErrors.tagNotFound(request.params.tag)
      const q = visitQuery(request.query)
      return visitList(q, await service.tagVisits(tag, q))
    },
  )

  api.get(
    '/visits/non-orphan',
    { schema: { tags: TAGS, summary: 'List visits to every short URL', ...listSchema } },
    async (request) => {
      const q = visitQuery(request.query)
      return visitList(q, await service.nonOrphanVisits(q))
    },
  )

  api.get(
    '/domains/:domain/visits',
    {
      schema: {
        tags: TAGS,
        summary: 'List visits for domain',
        description:
          'Visits of the short URLs of a domain (`DEFAULT` or its name for the default one). Short URLs ' +
          'live on the default domain only, so another known domain has none; an unknown one is a 404.',
        params: Type.Object({ domain: Type.String({ minLength: 1, maxLength: 260 }) }),
        ...listSchema,
      },
    },
    async (request) => {
      const kind = await domains.kind(request.params.domain)
      if (kind === 'unknown') throw ShlinkErrors.domainNotFound(request.params.domain)
      const q = visitQuery(request.query)
      return visitList(q, kind === 'default' ? await service.nonOrphanVisits(q) : EMPTY)
    },
  )

  api.get(
    '/visits/orphan',
    {
      schema: {
        tags: TAGS,
        summary: 'List orphan visits',
        description:
          'Visits to the base URL, to unknown short codes and to any other missing path, newest first. ' +
          '`domain`: `DEFAULT` or the default domain lists them all, another domain none.',
        querystring: OrphanVisitsQuery,
        response: { 200: OrphanVisitList },
      },
    },
    async (request) => {
      const q = visitQuery(request.query)
      const { domain, type } = request.query
      const everyDomain = domain === undefined || (await domains.kind(domain)) === 'default'
      // Every stored orphan visit has its type (toVisit copies it).
      return visitList(q, everyDomain ? await service.orphanVisits(q, type) : EMPTY) as Static<
        typeof OrphanVisitList
      >
    },
  )

  api.delete(
    '/visits/orphan',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete orphan visits',
        response: { 200: Type.Object({ deletedVisits: Type.Integer() }) },
      },
    },
    async () => ({ deletedVisits: await service.deleteOrphanVisits() }),
  )

  api.get(
    '/visits',
    {
      schema: {
        tags: TAGS,
        summary: 'Get general visits stats',
        response: { 200: VisitStats },
      },
    },
    async () => {
      const s = await service.visitsSummary()
      return { visits: { nonOrphanVisits: summary(s.nonOrphan), orphanVisits: summary(s.orphan) } }
    },
  )
}
