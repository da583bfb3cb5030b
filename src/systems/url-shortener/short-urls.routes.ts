/** `/rest/v3/short-urls`: create (one or a batch), list, get, edit, delete. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { clean, normalizeTags } from './input.js'
import { itemValidator } from './item-validator.js'
import type { OrderField } from './ports.js'
import {
  BatchCreation,
  BatchResult,
  DomainQuery,
  ListShortUrlsQuery,
  MAX_PAGE_SIZE,
  ShortCodeParams,
  ShortUrl,
  ShortUrlCreation,
  ShortUrlEdition,
  ShortUrlList,
} from './schemas.js'
import { ShortUrlService } from './service.js'
import { pageSize, pagination, toShortUrl } from './shapes.js'
import { ShlinkErrors } from './shlink-errors.js'

export interface ShortUrlRouteDeps {
  service: ShortUrlService
  baseUrl: () => string
}

const TAGS = ['Short URLs']

export function shortUrlRoutes(api: TypedApp, d: ShortUrlRouteDeps): void {
  const validateItem = itemValidator(ShortUrlCreation)

  api.post(
    '/short-urls',
    {
      schema: {
        tags: TAGS,
        summary: 'Create short URL',
        body: ShortUrlCreation,
        response: { 200: ShortUrl },
      },
    },
    async (request) =>
      toShortUrl(await d.service.create(request.body, request.apiKeyId ?? null), d.baseUrl()),
  )

  api.post(
    '/short-urls/batch',
    {
      // Each item's text is checked with the item, so one bad item fails alone.
      config: { perItemText: 'shortUrls' },
      schema: {
        tags: TAGS,
        summary: "Create up to 1,000 short URLs at once (an extension of Shlink's API)",
        description:
          'Each item is a body of POST /short-urls. Results come back in order, each either ' +
          '`{ok: true, shortUrl}` or `{ok: false, error}` with the Shlink problem the single create would give.',
        body: BatchCreation,
        response: { 200: BatchResult },
      },
    },
    async (request) => {
      const items = request.body.shortUrls.map(validateItem)
      const results = await d.service.createMany(items, request.apiKeyId ?? null)
      const base = d.baseUrl()
      return {
        results: results.map((r) =>
          r.ok
            ? { ok: true, shortUrl: toShortUrl(r.row, base) }
            : {
                ok: false,
                error: {
                  ...r.error.extensions,
                  type: r.error.type!,
                  title: r.error.title,
                  detail: r.error.message,
                  status: r.error.status,
                  code: r.error.code,
                },
              },
        ),
      }
    },
  )

  api.get(
    '/short-urls',
    {
      schema: {
        tags: TAGS,
        summary: 'List short URLs',
        querystring: ListShortUrlsQuery,
        response: { 200: ShortUrlList },
      },
    },
    async (request) => {
      const q = request.query
      const page = q.page ?? 1
      const perPage = pageSize(q.itemsPerPage, 10, MAX_PAGE_SIZE)
      const [field, dir] = q.orderBy ? (q.orderBy.split('-') as [OrderField, 'ASC' | 'DESC']) : []
      const startDate = ShortUrlService.optionalDate(q.startDate, 'startDate')
      const endDate = ShortUrlService.optionalDate(q.endDate, 'endDate')
      if (startDate && endDate && endDate < startDate)
        throw ShlinkErrors.invalidData(['endDate'], 'endDate is before startDate')
      const result = await d.service.list({
        page,
        itemsPerPage: perPage,
        ...(q.searchTerm && { searchTerm: clean(q.searchTerm) }),
        tags: normalizeTags([...(q['tags[]'] ?? []), ...(q.tags ?? [])]),
        tagsMode: q.tagsMode ?? 'any',
        excludeTags: normalizeTags([...(q['excludeTags[]'] ?? []), ...(q.excludeTags ?? [])]),
        excludeTagsMode: q.excludeTagsMode ?? 'any',
        ...(field && dir && { orderBy: { field, dir } }),
        ...(startDate && { startDate }),
        ...(endDate && { endDate }),
        excludeMaxVisitsReached: q.excludeMaxVisitsReached ?? false,
        excludePastValidUntil: q.excludePastValidUntil ?? false,
      })
      const base = d.baseUrl()
      return {
        shortUrls: {
          data: result.items.map((r) => toShortUrl(r, base)),
          pagination: pagination(page, perPage, result.total, result.items.length),
        },
      }
    },
  )

  api.get(
    '/short-urls/shorten',
    {
      schema: {
        tags: TAGS,
        summary: "Create a short URL in one GET (Shlink's single-step integration; key in `apiKey`)",
        description:
          'For tools that can only open a URL. `format=txt` (or `Accept: text/plain`) answers the short URL ' +
          'as plain text; JSON otherwise.',
        querystring: Type.Object({
          apiKey: Type.Optional(Type.String({ maxLength: 200 })),
          longUrl: Type.String({ maxLength: 65_536 }),
          format: Type.Optional(Type.Unsafe<'txt' | 'json'>({ type: 'string', enum: ['txt', 'json'] })),
        }),
        response: { 200: ShortUrl },
      },
    },
    async (request, reply) => {
      const row = await d.service.create({ longUrl: request.query.longUrl }, request.apiKeyId ?? null)
      const shortUrl = toShortUrl(row, d.baseUrl())
      const format =
        request.query.format ?? (request.headers.accept?.startsWith('text/plain') ? 'txt' : 'json')
      // A string with a text type is sent as it is (the JSON schema of 200 is not applied to it).
      if (format === 'txt') return reply.type('text/plain').send(shortUrl.shortUrl as never)
      return shortUrl
    },
  )

  api.get(
    '/short-urls/:shortCode',
    {
      schema: {
        tags: TAGS,
        summary: 'Parse short code',
        params: ShortCodeParams,
        querystring: DomainQuery,
        response: { 200: ShortUrl },
      },
    },
    async (request) => toShortUrl(await d.service.get(request.params.shortCode), d.baseUrl()),
  )

  api.patch(
    '/short-urls/:shortCode',
    {
      schema: {
        tags: TAGS,
        summary: 'Edit short URL',
        params: ShortCodeParams,
        querystring: DomainQuery,
        body: ShortUrlEdition,
        response: { 200: ShortUrl },
      },
    },
    async (request) => toShortUrl(await d.service.edit(request.params.shortCode, request.body), d.baseUrl()),
  )

  api.delete(
    '/short-urls/:shortCode',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete short URL',
        params: ShortCodeParams,
        querystring: DomainQuery,
        response: { 204: Type.Null({ description: 'Deleted' }) },
      },
    },
    async (request, reply) => {
      await d.service.remove(request.params.shortCode)
      return reply.code(204).send(null)
    },
  )
}
