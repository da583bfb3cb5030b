/** The REST API: tokens, rooms and members (messages, receipts, search and presence: messages.routes.ts). */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { ChatError } from './errors.js'
import { messageRoutes } from './messages.routes.js'
import { type RestDeps, userOf, writeLimit } from './rest.auth.js'
import * as S from './schemas.js'

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
        body: Type.Object(
          {
            user: S.UserName,
            ttlSeconds: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 31_536_000,
                description: 'a shorter life than CHAT_TOKEN_TTL_S (at most that), e.g. to try refresh',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ token: Type.String(), user: Type.String(), expiresAt: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const { user, ttlSeconds } = request.body
      const { token, expiresAt } = await deps.tokens.issue(
        user,
        ttlSeconds === undefined ? undefined : Math.min(ttlSeconds, deps.tokens.ttlSeconds),
      )
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
  messageRoutes(app, deps)
}
