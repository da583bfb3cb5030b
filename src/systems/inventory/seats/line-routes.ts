/** `/inventory/shows/{id}/waitlist`, `/waitlist/{id}`, `/shows/{id}/queue`, `/queue/{ticket}`: the two lines. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../../platform/http/types.js'
import { CATEGORY_PATTERN } from './venue-input.js'
import type { WaitingRoom } from './waiting-room.js'
import type { Waitlist } from './waitlist.js'

const TAGS = ['inventory']
const DbId = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'a numeric id, as a string' })
const Token = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

const Entry = Type.Object({
  id: Type.String(),
  showId: Type.String(),
  seats: Type.Integer(),
  category: Nullable(Type.String()),
  state: Type.String(),
  position: Type.Union([Type.Integer(), Type.Null()]),
  holdId: Nullable(Type.String()),
})
const Ticket = Type.Object({
  ticket: Type.String(),
  showId: Type.String(),
  state: Type.String(),
  position: Type.Union([Type.Integer(), Type.Null()]),
  estimatedWaitSeconds: Type.Union([Type.Integer(), Type.Null()]),
  admittedUntil: Nullable(Type.String()),
})

/** The waitlist of a show: join, look, leave. */
export function waitlistRoutes(app: TypedApp, waitlist: Waitlist, maxSeats: number): void {
  app.post(
    '/shows/:id/waitlist',
    {
      schema: {
        tags: TAGS,
        summary: "Join a show's waitlist for N seats together",
        description:
          'When seats come free, the first in line is offered the best N together as a hold of its own ' +
          '(INVENTORY_WAITLIST_OFFER_SECONDS): `state` becomes `offered` with `holdId`; confirm it with ' +
          'POST /holds/{holdId}/confirm. If it lapses or is released, the next in line is offered.',
        params: Type.Object({ id: DbId }),
        body: Type.Object(
          {
            seats: Type.Integer({ minimum: 1, maximum: maxSeats }),
            category: Type.Optional(Type.String({ pattern: CATEGORY_PATTERN })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Entry },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await waitlist.join(req.params.id, req.body.seats, req.body.category)),
  )
  app.get(
    '/waitlist/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A waitlist entry: its place in line, or the hold offered to it',
        params: Type.Object({ id: Token }),
        response: { 200: Entry },
      },
    },
    async (req) => waitlist.get(req.params.id),
  )
  app.delete(
    '/waitlist/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Leave the waitlist (an unconfirmed offer is released to the next in line)',
        params: Type.Object({ id: Token }),
      },
    },
    async (req, reply) => {
      await waitlist.leave(req.params.id)
      return reply.code(204).send()
    },
  )
}

/** The waiting room of a show: take a ticket, look at it, leave. */
export function waitingRoomRoutes(app: TypedApp, room: WaitingRoom): void {
  app.post(
    '/shows/:id/queue',
    {
      schema: {
        tags: TAGS,
        summary: "Take a ticket for a show's waiting room",
        description:
          `Admitted at once while fewer than INVENTORY_WAITING_ROOM_CAPACITY (${room.capacity}; 0: no room) ` +
          'buyers are in; otherwise a position and an estimated wait. Once admitted, send the ticket as the ' +
          '`queue-ticket` header of POST /shows/{id}/holds.',
        params: Type.Object({ id: DbId }),
        response: { 201: Ticket },
      },
    },
    async (req, reply) => reply.code(201).send(await room.enter(req.params.id)),
  )
  app.get(
    '/queue/:ticket',
    {
      schema: {
        tags: TAGS,
        summary: 'A waiting-room ticket: position and estimated wait, or admitted',
        params: Type.Object({ ticket: Token }),
        response: { 200: Ticket },
      },
    },
    async (req) => room.look(req.params.ticket),
  )
  app.delete(
    '/queue/:ticket',
    {
      schema: {
        tags: TAGS,
        summary: 'Leave the waiting room (an admitted ticket frees its place)',
        params: Type.Object({ ticket: Token }),
      },
    },
    async (req, reply) => {
      await room.leave(req.params.ticket)
      return reply.code(204).send()
    },
  )
}
