/** `/rest/v3/tags`: list, stats, rename, delete. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { clean, normalizeTags } from './input.js'
import type { TagQuery } from './ports.js'
import { MAX_PAGE_SIZE, TagDeletion, TagList, TagRenaming, TagStatsList, TagsQuery } from './schemas.js'
import type { ShortUrlService } from './service.js'
import { pageSize, pagination, summary } from './shapes.js'
import { ShlinkErrors } from './shlink-errors.js'

const TAGS = ['Tags']

function tagQuery(q: {
  page?: number
  itemsPerPage?: number
  searchTerm?: string
  orderBy?: string
}): TagQuery {
  const [field, dir] = q.orderBy
    ? (q.orderBy.split('-') as [NonNullable<TagQuery['orderBy']>['field'], 'ASC' | 'DESC'])
    : []
  return {
    page: q.page ?? 1,
    itemsPerPage: pageSize(q.itemsPerPage, MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    ...(q.searchTerm && { searchTerm: clean(q.searchTerm) }),
    ...(field && dir && { orderBy: { field, dir } }),
  }
}

export function tagRoutes(api: TypedApp, service: ShortUrlService): void {
  api.get(
    '/tags',
    {
      schema: {
        tags: TAGS,
        summary: 'List existing tags',
        querystring: TagsQuery,
        response: { 200: TagList },
      },
    },
    async (request) => {
      const q = tagQuery(request.query)
      const result = await service.tagList(q)
      return {
        tags: {
          data: result.items,
          pagination: pagination(q.page, q.itemsPerPage, result.total, result.items.length),
        },
      }
    },
  )

  api.get(
    '/tags/stats',
    {
      schema: {
        tags: TAGS,
        summary: 'Get tags with stats',
        querystring: TagsQuery,
        response: { 200: TagStatsList },
      },
    },
    async (request) => {
      const q = tagQuery(request.query)
      const result = await service.tagStats(q)
      return {
        tags: {
          data: result.items.map((t) => ({
            tag: t.tag,
            shortUrlsCount: t.shortUrlsCount,
            visitsSummary: summary({ total: t.visits, bots: t.bots }),
          })),
          pagination: pagination(q.page, q.itemsPerPage, result.total, result.items.length),
        },
      }
    },
  )

  api.put(
    '/tags',
    {
      schema: {
        tags: TAGS,
        summary: 'Rename tag',
        body: TagRenaming,
        response: { 204: Type.Null({ description: 'Renamed' }) },
      },
    },
    async (request, reply) => {
      const [oldName] = normalizeTags([request.body.oldName])
      const [newName] = normalizeTags([request.body.newName])
      const invalid = [...(oldName ? [] : ['oldName']), ...(newName ? [] : ['newName'])]
      if (invalid.length > 0) throw ShlinkErrors.invalidData(invalid, 'tag names cannot be blank')
      await service.renameTag(oldName!, newName!)
      return reply.code(204).send(null)
    },
  )

  api.delete(
    '/tags',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete tags',
        querystring: TagDeletion,
        response: { 204: Type.Null({ description: 'Deleted' }) },
      },
    },
    async (request, reply) => {
      const names = normalizeTags([...(request.query['tags[]'] ?? []), ...(request.query.tags ?? [])])
      await service.deleteTags(names)
      return reply.code(204).send(null)
    },
  )
}
