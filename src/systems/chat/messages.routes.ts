/** The REST API of messages: history, send, edit, delete, reactions, read receipts, search, presence. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { type RestDeps, userOf, writeLimit } from './rest.auth.js'
import * as S from './schemas.js'

/** Register the message routes (behind the same auth hook as the rest). */
export function messageRoutes(app: TypedApp, deps: RestDeps): void {
  const s = deps.service
  const limited = { preHandler: writeLimit(deps.limiter) }

  app.get(
    '/rooms/:room/messages',
    {
      schema: {
        summary: 'History: the newest messages before `before` (or the head), or the oldest after `after`',

        params: S.RoomParams,
        querystring: S.HistoryQuery,
        response: {
          200: Type.Object({
            messages: Type.Array(S.Message),
            hasMore: Type.Boolean(),
            head: Type.Integer(),
          }),
        },
      },
    },
    async (request) => s.history(userOf(request), request.params.room, request.query),
  )

  app.post(
    '/rooms/:room/messages',
    {
      ...limited,
      schema: {
        summary: 'Send a message (idempotent with cid)',

        params: S.RoomParams,
        body: S.NewMessage,
        response: { 200: S.Sent, 201: S.Sent },
      },
    },
    async (request, reply) => {
      const { body, cid, parent } = request.body
      const r = await s.post(userOf(request), request.params.room, body, cid, parent)
      const e = r.event
      return reply
        .code(r.duplicate ? 200 : 201)
        .send({ room: e.room, offset: e.offset, cid: e.cid, duplicate: r.duplicate, at: e.at })
    },
  )

  app.get(
    '/rooms/:room/messages/:offset',
    {
      schema: {
        summary: 'One message with its edit and delete history',

        params: S.MessageParams,
        response: { 200: Type.Intersect([S.Message, Type.Object({ history: Type.Array(S.Event) })]) },
      },
    },
    async (request) => s.message(userOf(request), request.params.room, request.params.offset),
  )

  app.patch(
    '/rooms/:room/messages/:offset',
    {
      ...limited,
      schema: {
        summary: 'Edit your message (the previous body is kept)',

        params: S.MessageParams,
        body: Type.Object({ body: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: { 200: S.Event },
      },
    },
    async (request) => s.edit(userOf(request), request.params.room, request.params.offset, request.body.body),
  )

  app.delete(
    '/rooms/:room/messages/:offset',
    {
      ...limited,
      schema: {
        summary: "Delete a message (yours, or any as the room's owner)",

        params: S.MessageParams,
        response: { 200: S.Event },
      },
    },
    async (request) => s.delete(userOf(request), request.params.room, request.params.offset),
  )

  app.put(
    '/rooms/:room/messages/:offset/reactions/:emoji',
    {
      ...limited,
      schema: {
        summary: 'React to a message',

        params: Type.Object({
          room: S.Id,
          offset: S.Id,
          emoji: Type.String({ minLength: 1, maxLength: 32 }),
        }),
      },
    },
    async (request, reply) => {
      const { room, offset, emoji } = request.params
      await s.react(userOf(request), room, offset, emoji, false)
      return reply.code(204).send()
    },
  )

  app.delete(
    '/rooms/:room/messages/:offset/reactions/:emoji',
    {
      ...limited,
      schema: {
        summary: 'Remove your reaction',

        params: Type.Object({
          room: S.Id,
          offset: S.Id,
          emoji: Type.String({ minLength: 1, maxLength: 32 }),
        }),
      },
    },
    async (request, reply) => {
      const { room, offset, emoji } = request.params
      await s.react(userOf(request), room, offset, emoji, true)
      return reply.code(204).send()
    },
  )

  app.put(
    '/rooms/:room/read',
    {
      ...limited,
      schema: {
        summary: 'Set your read receipt (it only moves forward, and never past the head)',

        params: S.RoomParams,
        body: Type.Object({ offset: S.Offset }, { additionalProperties: false }),
        response: { 200: Type.Object({ lastRead: Type.Integer() }) },
      },
    },
    async (request) => ({
      lastRead: await s.markRead(userOf(request), request.params.room, request.body.offset),
    }),
  )

  app.get(
    '/search',
    {
      schema: {
        summary: 'Full-text search in your rooms (or one room), best match first, with highlights',

        querystring: S.SearchQuery,
        response: { 200: Type.Object({ hits: Type.Array(S.SearchHit) }) },
      },
    },
    async (request) => ({
      hits: await s.search(userOf(request), request.query.q, request.query.room, request.query.limit),
    }),
  )

  app.get(
    '/presence',
    {
      schema: {
        summary: 'Presence of some users (online, away, offline)',

        querystring: Type.Object({
          users: Type.String({ maxLength: 10_000, description: 'comma-separated' }),
        }),
        response: { 200: Type.Record(Type.String(), Type.String()) },
      },
    },
    async (request) => {
      const out: Record<string, string> = {}
      for (const u of request.query.users.split(',').slice(0, 1000)) if (u) out[u] = deps.presence.status(u)
      return out
    },
  )
}
