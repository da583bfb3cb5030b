/** Cards: create, edit, move, archive; labels, assignees, checklist, comments (with mentions), attachments. */
import { randomUUID } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import * as D from './domain/decide.js'
import type { BoardState } from './domain/state.js'
import {
  boardOfEntity,
  CommentText,
  commandOptions,
  Id,
  Label,
  Name,
  type RouteDeps,
  Title,
  UserName,
  userOf,
  uuidFrom,
  Written,
  written,
} from './http.js'

const CardParams = Type.Object({ id: Id })
const Placement = {
  before: Type.Optional(Id),
  after: Type.Optional(Id),
}
const Url = Type.String({
  minLength: 1,
  maxLength: 2_000,
  pattern: '^https?://[^\\s]+$',
  description: 'an http(s) link',
})

export function cardRoutes(app: TypedApp, d: RouteDeps): void {
  /** Run a command on the board of card `cardId`; `created` answers 201. */
  const onCard = async (
    request: FastifyRequest,
    reply: FastifyReply,
    cardId: string,
    decide: (s: BoardState, user: string, newId: string) => D.Decision,
    input: unknown,
    created = false,
  ) => {
    const user = userOf(request)
    const board = await boardOfEntity(d, 'card', cardId)
    const o = commandOptions(request, { cardId, input })
    const newId = o.idempotencyKey ? uuidFrom(`${user}:${o.idempotencyKey}`) : randomUUID()
    const r = await d.commands.run(board, user, (s) => decide(s, user, newId), o)
    return written(reply, r, created)
  }

  app.post(
    '/lists/:id/cards',
    {
      schema: {
        summary: 'Add a card to a list (at the end, or before/after a card of the list)',
        params: CardParams,
        body: Type.Object({ title: Title, ...Placement }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) => {
      const user = userOf(request)
      const listId = request.params.id
      const board = await boardOfEntity(d, 'list', listId)
      const o = commandOptions(request, { listId, body: request.body })
      const cardId = o.idempotencyKey ? uuidFrom(`${user}:${o.idempotencyKey}`) : randomUUID()
      const { title, before, after } = request.body
      const r = await d.commands.run(
        board,
        user,
        (s) => D.addCard(s, user, listId, cardId, title, { before, after }, d.limits),
        o,
      )
      return written(reply, r, true)
    },
  )

  app.get(
    '/cards/:id',
    { schema: { summary: 'A card in full (from the views)', params: CardParams } },
    async (request) => d.queries.card(request.params.id, userOf(request)),
  )

  app.post(
    '/cards/:id/move',
    {
      schema: {
        summary:
          'Move a card to a list (the same or another), right after `after` or right before `before` (both: they must be neighbours), else at the end',
        params: CardParams,
        body: Type.Object({ listId: Id, ...Placement }, { additionalProperties: false }),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const { listId, before, after } = request.body
      return onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.moveCard(s, user, request.params.id, listId, { before, after }),
        request.body,
      )
    },
  )

  app.patch(
    '/cards/:id',
    {
      schema: {
        summary: 'Edit a card: title, due date (null clears it), archived',
        params: CardParams,
        body: Type.Object(
          {
            title: Type.Optional(Title),
            dueAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
            archived: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Written },
      },
    },
    async (request, reply) => {
      const b = request.body
      const patch: D.CardPatch = {}
      if (b.title !== undefined) patch.title = b.title
      if (b.dueAt !== undefined) patch.dueAt = b.dueAt === null ? null : new Date(b.dueAt).toISOString()
      if (b.archived !== undefined) patch.archived = b.archived
      return onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.patchCard(s, user, request.params.id, patch),
        b,
      )
    },
  )

  app.post(
    '/cards/:id/labels',
    {
      schema: {
        summary: 'Add a label',
        params: CardParams,
        body: Type.Object({ label: Label }, { additionalProperties: false }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.label(s, user, request.params.id, request.body.label, true, d.limits),
        request.body,
      ),
  )
  app.delete(
    '/cards/:id/labels/:label',
    {
      schema: {
        summary: 'Remove a label',
        params: Type.Object({ id: Id, label: Label }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.label(s, user, request.params.id, request.params.label, false, d.limits),
        request.params,
      ),
  )

  app.post(
    '/cards/:id/assignees',
    {
      schema: {
        summary: 'Assign a member of the board',
        params: CardParams,
        body: Type.Object({ user: UserName }, { additionalProperties: false }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.assign(s, user, request.params.id, request.body.user, true),
        request.body,
      ),
  )
  app.delete(
    '/cards/:id/assignees/:user',
    {
      schema: {
        summary: 'Unassign',
        params: Type.Object({ id: Id, user: UserName }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.assign(s, user, request.params.id, request.params.user, false),
        request.params,
      ),
  )

  app.post(
    '/cards/:id/checklist',
    {
      schema: {
        summary: 'Add a checklist item',
        params: CardParams,
        body: Type.Object({ text: Title }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user, id) => D.addChecklistItem(s, user, request.params.id, id, request.body.text, d.limits),
        request.body,
        true,
      ),
  )
  app.patch(
    '/cards/:id/checklist/:item',
    {
      schema: {
        summary: 'Check or uncheck a checklist item',
        params: Type.Object({ id: Id, item: Id }),
        body: Type.Object({ done: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.checkItem(s, user, request.params.id, request.params.item, request.body.done),
        { ...request.params, ...request.body },
      ),
  )
  app.delete(
    '/cards/:id/checklist/:item',
    {
      schema: {
        summary: 'Remove a checklist item',
        params: Type.Object({ id: Id, item: Id }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.removeItem(s, user, request.params.id, request.params.item),
        request.params,
      ),
  )

  app.post(
    '/cards/:id/comments',
    {
      schema: {
        summary: 'Comment on a card; `@user` of a board member is a mention',
        params: CardParams,
        body: Type.Object({ text: CommentText }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user, id) => D.comment(s, user, request.params.id, id, request.body.text, d.limits),
        request.body,
        true,
      ),
  )

  app.post(
    '/cards/:id/attachments',
    {
      schema: {
        summary: 'Attach a link (the server stores it and never fetches it)',
        params: CardParams,
        body: Type.Object({ url: Url, name: Type.Optional(Name) }, { additionalProperties: false }),
        response: { 201: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user, id) =>
          D.attach(
            s,
            user,
            request.params.id,
            id,
            request.body.url,
            request.body.name ?? request.body.url.slice(0, 200),
            d.limits,
          ),
        request.body,
        true,
      ),
  )
  app.delete(
    '/cards/:id/attachments/:attachment',
    {
      schema: {
        summary: 'Remove an attachment',
        params: Type.Object({ id: Id, attachment: Id }),
        response: { 200: Written },
      },
    },
    async (request, reply) =>
      onCard(
        request,
        reply,
        request.params.id,
        (s, user) => D.detach(s, user, request.params.id, request.params.attachment),
        request.params,
      ),
  )
}
