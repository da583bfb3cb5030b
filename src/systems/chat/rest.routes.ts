/** The REST API: tokens, rooms, members, messages, history, read receipts, search. */
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import { ChatError } from './errors.js'
import type { Presence } from './presence.js'
import * as S from './schemas.js'
import type { ChatService } from './service.js'
import { type Tokens, tokenOf } from './tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The chat user a bearer token named (chat routes only). */
    chatUser?: string
  }
}

export interface RestDeps {
  service: ChatService
  tokens: Tokens
  presence: Presence
  limiter: RateLimiter
  devTokens: boolean
}

/** The user of an authenticated request (the auth hook has run). */
function userOf(request: FastifyRequest): string {
  return request.chatUser!
}

/** Resolve the bearer token of every API route; anonymous routes are registered outside. */
export function authHook(tokens: Tokens, seen: (user: string) => Promise<void>) {
  return async function chatAuth(request: FastifyRequest): Promise<void> {
    const user = await tokens.verify(tokenOf(request.headers.authorization, request.query))
    await seen(user)
    request.chatUser = user
  }
}

/** Per-user write limit over REST: the same bucket size as one connection. */
function writeLimit(limiter: RateLimiter) {
  return async function chatWriteLimit(request: FastifyRequest): Promise<void> {
    const r = await limiter.consume(`rest:${request.chatUser}`)
    if (!r.allowed) throw ChatError.rateLimited(r.retryAfterMs)
  }
}

/** Routes that need no token: the dev issuer and the key set. */
export function publicRoutes(app: TypedApp, deps: RestDeps): void {
  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'The public keys that verify chat tokens (JWKS)' } },
    async () => deps.tokens.jwks,
  )
  if (!deps.devTokens) return
  app.post(
    '/tokens',
    {
      schema: {
        summary: 'Development issuer: a token for a user name (no password; for development and the console)',
        body: Type.Object({ user: S.UserName }, { additionalProperties: false }),
        response: {
          201: Type.Object({ token: Type.String(), user: Type.String(), expiresAt: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const { token, expiresAt } = await deps.tokens.issue(request.body.user)
      await deps.service.seen(request.body.user)
      return reply.code(201).send({ token, user: request.body.user, expiresAt: expiresAt.toISOString() })
    },
  )
}

export function restRoutes(app: TypedApp, deps: RestDeps): void {
  const s = deps.service
  const limited = { preHandler: writeLimit(deps.limiter) }

  app.get(
    '/me',
    {
      schema: {
        summary: 'Who the token names',

        response: { 200: Type.Object({ user: Type.String() }) },
      },
    },
    async (request) => ({ user: userOf(request) }),
  )

  app.get(
    '/rooms',
    {
      schema: {
        summary: 'Your rooms, with head and read receipt',

        response: { 200: Type.Array(S.MyRoom) },
      },
    },
    async (request) => s.mine(userOf(request)),
  )

  app.get(
    '/rooms/public',
    {
      schema: {
        summary: 'Public rooms (optionally by name prefix)',

        querystring: Type.Object({
          prefix: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Array(S.Room) },
      },
    },
    async (request) => s.rooms.listPublic(request.query.prefix, request.query.limit),
  )

  app.post(
    '/rooms',
    {
      ...limited,
      schema: {
        summary: 'Create a room (you are its owner)',

        body: S.NewRoom,
        response: { 201: S.Room },
      },
    },
    async (request, reply) => reply.code(201).send(await s.createRoom(userOf(request), request.body)),
  )

  app.post(
    '/direct',
    {
      ...limited,
      schema: {
        summary: 'The direct-message room with another user (created on first use)',

        body: Type.Object({ user: S.UserName }, { additionalProperties: false }),
        response: { 200: S.Room },
      },
    },
    async (request) => s.direct(userOf(request), request.body.user),
  )

  app.get(
    '/rooms/:room',
    { schema: { summary: 'A room', params: S.RoomParams, response: { 200: S.Room } } },
    async (request) => (await s.readable(userOf(request), request.params.room)).room,
  )

  app.patch(
    '/rooms/:room',
    {
      ...limited,
      schema: {
        summary: 'Rename a room or set its topic (owner)',

        params: S.RoomParams,
        body: S.RoomPatch,
        response: { 200: S.Room },
      },
    },
    async (request) => s.updateRoom(userOf(request), request.params.room, request.body),
  )

  app.delete(
    '/rooms/:room',
    {
      ...limited,
      schema: { summary: 'Delete a room and its messages (owner)', params: S.RoomParams },
    },
    async (request, reply) => {
      await s.deleteRoom(userOf(request), request.params.room)
      return reply.code(204).send()
    },
  )

  app.get(
    '/rooms/:room/members',
    {
      schema: {
        summary: 'Members with their read receipts',

        params: S.RoomParams,
        response: { 200: Type.Array(S.Member) },
      },
    },
    async (request) => {
      await s.readable(userOf(request), request.params.room)
      return s.rooms.members(request.params.room)
    },
  )

  app.put(
    '/rooms/:room/members/:user',
    {
      ...limited,
      schema: {
        summary: 'Join a public room (yourself) or add a member (owner)',

        params: S.MemberParams,
        response: {
          200: Type.Object({ added: Type.Boolean(), offset: Type.Union([Type.Integer(), Type.Null()]) }),
        },
      },
    },
    async (request) => {
      const e = await s.addMember(userOf(request), request.params.room, request.params.user)
      return { added: e !== undefined, offset: e?.offset ?? null }
    },
  )

  app.delete(
    '/rooms/:room/members/:user',
    {
      ...limited,
      schema: {
        summary: 'Leave a room (yourself) or remove a member (owner)',

        params: S.MemberParams,
      },
    },
    async (request, reply) => {
      const e = await s.removeMember(userOf(request), request.params.room, request.params.user)
      if (!e) throw ChatError.notMember(request.params.room)
      return reply.code(204).send()
    },
  )

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
