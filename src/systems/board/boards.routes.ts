/** Tokens, boards, members, lists, and the board-wide queries (view, activity, my cards, mentions, search). */
import { randomUUID } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import * as D from './domain/decide.js'
import {
  boardOfEntity,
  commandOptions,
  Id,
  Name,
  type RouteDeps,
  UserName,
  userOf,
  uuidFrom,
  Written,
  waitForVersion,
  written,
} from './http.js'

const BoardParams = Type.Object({ id: Id })
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 }))

/** Routes that need no token: the development issuer. */
export function publicRoutes(app: TypedApp, d: RouteDeps): void {
  if (!d.devTokens) return
  app.post(
    '/tokens',
    {
      schema: {
        summary: 'Development issuer: a token for a user name (no password; off in production)',
        body: Type.Object({ user: UserName }, { additionalProperties: false }),
        response: {
          201: Type.Object({ token: Type.String(), user: Type.String(), expiresAt: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const { token, expiresAt } = await d.tokens.issue(request.body.user)
      return reply.code(201).send({ token, user: request.body.user, expiresAt: expiresAt.toISOString() })
    },
  )
}

export function boardRoutes(app: TypedApp, d: RouteDeps): void {
  app.post(
    '/boards',
    {
      schema: {
        summary: 'Create a board; the caller is its owner and first member',
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const o = commandOptions(request, request.body)
      // A new board: its id is the stream's. A retried key must not make a second board,
      // so the id comes from the key when there is one.
      const id = o.idempotencyKey ? uuidFrom(`${user}:${o.idempotencyKey}`) : randomUUID()
      const r = await d.commands.run(id, user, (s) => D.createBoard(s, user, request.body.name), o)
      return written(reply, r, true)
    },
  )

  app.get('/boards', { schema: { summary: 'The boards the caller is a member of' } }, async (request) => ({
    boards: await d.queries.boards(userOf(request)),
  }))

  app.get(
    '/boards/:id',
    {
      schema: {
        summary: 'The board with its lists and cards in order, and its version (from the views)',
        params: BoardParams,
        querystring: Type.Object(
          {
            minVersion: Type.Optional(
              Type.Integer({
                minimum: 0,
                description: 'wait until the view has this version (read-your-writes)',
              }),
            ),
            archived: Type.Optional(Type.Boolean({ description: 'include archived lists and cards' })),
          },
          { additionalProperties: true },
        ),
      },
    },
    async (request, reply) => {
      const { id } = request.params
      await waitForVersion(d, id, request.query.minVersion)
      const view = await d.queries.board(id, userOf(request), request.query.archived ?? false)
      reply.header('etag', `"${view.version}"`)
      return view
    },
  )

  app.patch(
    '/boards/:id',
    {
      schema: {
        summary: 'Rename, archive or restore a board (archive and restore: the owner only)',
        params: BoardParams,
        body: Type.Object(
          { name: Type.Optional(Name), archived: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const { name, archived } = request.body
      const r = await d.commands.run(
        request.params.id,
        user,
        (s) =>
          D.sequence(s, [
            archived === false && ((s) => D.archiveBoard(s, user, false)),
            name !== undefined && ((s) => D.renameBoard(s, user, name)),
            archived === true && ((s) => D.archiveBoard(s, user, true)),
          ]),
        commandOptions(request, request.body),
      )
      return written(reply, r, false)
    },
  )

  app.post(
    '/boards/:id/members',
    {
      schema: {
        summary: 'Add a member (any member may)',
        params: BoardParams,
        body: Type.Object({ user: UserName }, { additionalProperties: false }),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const r = await d.commands.run(
        request.params.id,
        user,
        (s) => D.addMember(s, user, request.body.user, d.limits),
        commandOptions(request, request.body),
      )
      return written(reply, r, false)
    },
  )

  app.delete(
    '/boards/:id/members/:user',
    {
      schema: {
        summary: 'Remove a member (the owner removes anyone but themself; a member removes themself)',
        params: Type.Object({ id: Id, user: UserName }),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const r = await d.commands.run(
        request.params.id,
        user,
        (s) => D.removeMember(s, user, request.params.user),
        commandOptions(request, request.params),
      )
      return written(reply, r, false)
    },
  )

  app.post(
    '/boards/:id/lists',
    {
      schema: {
        summary: 'Add a list at the end of the board',
        params: BoardParams,
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const o = commandOptions(request, request.body)
      const listId = o.idempotencyKey ? uuidFrom(`${user}:${o.idempotencyKey}`) : randomUUID()
      const r = await d.commands.run(
        request.params.id,
        user,
        (s) => D.addList(s, user, listId, request.body.name, d.limits),
        o,
      )
      return written(reply, r, true)
    },
  )

  app.patch(
    '/lists/:id',
    {
      schema: {
        summary: 'Rename, archive or restore a list',
        params: BoardParams,
        body: Type.Object(
          { name: Type.Optional(Name), archived: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const listId = request.params.id
      const board = await boardOfEntity(d, 'list', listId)
      const { name, archived } = request.body
      const r = await d.commands.run(
        board,
        user,
        (s) =>
          D.sequence(s, [
            archived === false && ((s) => D.archiveList(s, user, listId, false)),
            name !== undefined && ((s) => D.renameList(s, user, listId, name)),
            archived === true && ((s) => D.archiveList(s, user, listId, true)),
          ]),
        commandOptions(request, request.body),
      )
      return written(reply, r, false)
    },
  )

  app.get(
    '/boards/:id/activity',
    {
      schema: {
        summary: 'The board’s activity, newest first (one card’s with `card`)',
        params: BoardParams,
        querystring: Type.Object({
          card: Type.Optional(Id),
          before: Type.Optional(
            Type.Integer({ minimum: 1, description: 'versions below this one (paging)' }),
          ),
          limit: Limit,
        }),
      },
    },
    async (request) => ({
      activity: await d.queries.activity(request.params.id, userOf(request), {
        card: request.query.card,
        before: request.query.before,
        limit: request.query.limit ?? 50,
      }),
    }),
  )

  app.put(
    '/boards/:id/viewing',
    {
      schema: {
        summary:
          'Tell the board’s other viewers which card you have open (null: none); a signal on the live stream, not stored',
        params: BoardParams,
        body: Type.Object({ cardId: Type.Union([Id, Type.Null()]) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      await d.viewing(request.params.id, user, request.body.cardId)
      return reply.code(204).send()
    },
  )

  app.get('/me/cards', { schema: { summary: 'Cards assigned to the caller' } }, async (request) => ({
    cards: await d.queries.myCards(userOf(request)),
  }))

  app.get(
    '/me/mentions',
    {
      schema: {
        summary: 'Comments that mention the caller, newest first',
        querystring: Type.Object({ limit: Limit }),
      },
    },
    async (request) => ({ mentions: await d.queries.mentions(userOf(request), request.query.limit ?? 50) }),
  )

  app.get(
    '/search',
    {
      schema: {
        summary: 'Cards on the caller’s boards whose title or comments match (PostgreSQL full text)',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 200 }), limit: Limit }),
      },
    },
    async (request) => ({
      cards: await d.queries.search(userOf(request), request.query.q, request.query.limit ?? 50),
    }),
  )
}
