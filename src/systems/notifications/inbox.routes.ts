/**
 * `/notifications/v1/subscribers/{id}/inbox`: the in-app inbox over REST (list, counts, mark
 * read/seen/unread/archived). Reached with the admin token or the subscriber's own token; live
 * updates come on the platform's `/live/ws` (stream `notifications.inbox.<id>`).
 */
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { bearerMatches } from '../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../platform/http/types.js'
import { NotificationErrors } from './errors.js'
import type { Inbox } from './inbox.js'
import { IdParams, TAGS } from './schemas.js'
import type { SubscriberStore } from './subscribers.js'
import type { SubscriberTokens } from './tokens.js'

export interface InboxRouteDeps {
  inbox: Inbox
  subscribers: SubscriberStore
  tokens: SubscriberTokens
  adminToken: string | undefined
}

export function inboxRoutes(app: TypedApp, d: InboxRouteDeps) {
  // The admin token, or a subscriber token for the subscriber in the path (no token needed when none is configured).
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!d.adminToken || bearerMatches(req.headers.authorization, d.adminToken)) return
    const token = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1]
    const principal = token ? d.tokens.verify(token) : undefined
    const id = (req.params as { id?: string }).id
    if (!principal || principal.user !== id) throw NotificationErrors.unauthorized()
  })
  const ListQuery = Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      before: Type.Optional(Type.String({ pattern: '^msg_[A-Za-z0-9_-]{1,40}$' })),
      unread: Type.Optional(Type.Boolean()),
      archived: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  )
  app.get(
    '/v1/subscribers/:id/inbox',
    {
      schema: {
        tags: TAGS,
        summary: 'In-app messages, newest first (before: the last id of the previous page)',
        params: IdParams,
        querystring: ListQuery,
      },
    },
    async (req) => {
      await d.subscribers.require(req.params.id)
      const q = req.query
      return d.inbox.list(req.params.id, {
        limit: q.limit ?? 20,
        before: q.before,
        unread: q.unread,
        archived: q.archived,
      })
    },
  )
  app.get(
    '/v1/subscribers/:id/inbox/count',
    {
      schema: {
        tags: TAGS,
        summary: 'Unread, unseen and total messages (archived ones left out)',
        params: IdParams,
      },
    },
    async (req) => {
      await d.subscribers.require(req.params.id)
      return d.inbox.counts(req.params.id)
    },
  )
  app.post(
    '/v1/subscribers/:id/inbox/mark',
    {
      schema: {
        tags: TAGS,
        summary: 'Mark messages (all of them when ids is left out) seen, read, unread or archived',
        params: IdParams,
        body: Type.Object(
          {
            as: Type.Union([
              Type.Literal('seen'),
              Type.Literal('read'),
              Type.Literal('unread'),
              Type.Literal('archived'),
            ]),
            ids: Type.Optional(
              Type.Array(Type.String({ pattern: '^msg_[A-Za-z0-9_-]{1,40}$' }), {
                minItems: 1,
                maxItems: 100,
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      await d.subscribers.require(req.params.id)
      return { messages: await d.inbox.mark(req.params.id, req.body.as, req.body.ids) }
    },
  )
}
