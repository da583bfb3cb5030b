/** `/inventory/venues`, `/inventory/shows`, `/inventory/holds`: HTTP schemas <-> SeatService calls. */
import { Type } from '@sinclair/typebox'
import { type BearerTokenOptions, requireBearerToken } from '../../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../../platform/http/types.js'
import { SeatErrors } from './errors.js'
import type { SeatService } from './service.js'
import { CATEGORY_PATTERN, NAME_PATTERN } from './venue-input.js'

const TAGS = ['inventory']
const DbId = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'a numeric id, as a string' })
const HoldId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
const Name = Type.String({ pattern: NAME_PATTERN, description: 'letters, digits and _; at most 32' })
const Category = Type.String({ pattern: CATEGORY_PATTERN })
const Price = Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'minor units' })
const SeatId = Type.String({ maxLength: 100, description: '<section>-<row>-<number>' })

const VenueBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    sections: Type.Array(
      Type.Object(
        {
          name: Name,
          category: Type.Optional(Category),
          price: Type.Optional(Price),
          rows: Type.Array(
            Type.Object(
              {
                name: Name,
                seats: Type.Integer({ minimum: 1, maximum: 1000 }),
                category: Type.Optional(Category),
                price: Type.Optional(Price),
                accessible: Type.Optional(
                  Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), {
                    maxItems: 1000,
                    uniqueItems: true,
                  }),
                ),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, maxItems: 500 },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
)

const SeatJson = Type.Object({
  id: Type.String(),
  section: Type.String(),
  row: Type.String(),
  number: Type.Integer(),
  category: Type.String(),
  price: Type.Integer(),
  accessible: Type.Boolean(),
  state: Type.Union([Type.Literal('free'), Type.Literal('held'), Type.Literal('sold')]),
})

const HoldJson = Type.Object({
  id: Type.String(),
  showId: Type.String(),
  seats: Type.Array(Type.String()),
  state: Type.String(),
  expiresAt: Type.String(),
  orderId: Type.Union([Type.String(), Type.Null()]),
})

/** Creating venues and shows: behind INVENTORY_API_TOKEN when it is set. */
export function adminRoutes(app: TypedApp, seats: SeatService, auth: BearerTokenOptions): void {
  requireBearerToken(app, auth)
  app.post(
    '/venues',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a venue with its seat map',
        description:
          'Seat ids are `<section>-<row>-<number>`, numbers from 1. Sections and rows are listed best first ' +
          '(the order best-available ranks by); category and price default from the section to its rows.',
        body: VenueBody,
        response: { 201: Type.Object({ id: Type.String(), seats: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const id = await seats.createVenue(req.body)
      const count = req.body.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.seats, 0), 0)
      return reply.code(201).send({ id, seats: count })
    },
  )
  app.post(
    '/shows',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a show at a venue (every seat free)',
        body: Type.Object(
          {
            venueId: Type.Union([DbId, Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 })]),
            startsAt: Type.String({ format: 'date-time', maxLength: 40 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const startsAt = new Date(req.body.startsAt)
      if (Number.isNaN(startsAt.getTime()) || Math.abs(startsAt.getUTCFullYear() - 2000) > 1000)
        throw SeatErrors.invalidShow('startsAt', 'must be a date-time between the years 1000 and 3000')
      const id = await seats.createShow(String(req.body.venueId), startsAt)
      return reply.code(201).send({ id })
    },
  )
}

/** The buyer's routes: the seat map, holds, confirmation, release. */
export function buyerRoutes(
  app: TypedApp,
  seats: SeatService,
  maxSeatsPerHold: number,
  /** The waiting room's check of a hold's `queue-ticket` header (refuses with a 429). */
  gate?: (showId: string, ticket: string | undefined) => Promise<void>,
): void {
  app.get(
    '/shows/:id/seats',
    {
      schema: {
        tags: TAGS,
        summary: 'Every seat of a show with its state',
        description:
          'A held seat whose hold ran out reads as free. `offset` is the seat map stream at this read: ' +
          'subscribe to show N on /inventory/live/ws with `after: offset` to get every later change once.',
        params: Type.Object({ id: DbId }),
        response: {
          200: Type.Object({ showId: Type.String(), offset: Type.Integer(), seats: Type.Array(SeatJson) }),
        },
      },
    },
    async (req) => {
      const map = await seats.seatMap(req.params.id)
      return { showId: req.params.id, offset: map.offset, seats: map.seats }
    },
  )
  app.post(
    '/shows/:id/holds',
    {
      schema: {
        tags: TAGS,
        summary: 'Hold seats of a show, all or nothing',
        description:
          '`{seats: [...]}` holds exactly those seats; `{best: N}` the best N adjacent seats of one row ' +
          '(optionally of a `category`, or `accessible` ones), never leaving a single free seat stranded when ' +
          'another choice exists. 409 INVENTORY_SEATS_TAKEN names the seats already held or sold.',
        params: Type.Object({ id: DbId }),
        body: Type.Object(
          {
            seats: Type.Optional(Type.Array(SeatId, { minItems: 1, maxItems: maxSeatsPerHold })),
            best: Type.Optional(Type.Integer({ minimum: 1, maximum: maxSeatsPerHold })),
            category: Type.Optional(Category),
            accessible: Type.Optional(Type.Boolean()),
            ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ id: Type.String(), seats: Type.Array(Type.String()), expiresAt: Type.String() }),
        },
      },
    },
    async (req, reply) => {
      const ticket = req.headers['queue-ticket']
      await gate?.(req.params.id, typeof ticket === 'string' ? ticket : undefined)
      return reply.code(201).send(await seats.hold(req.params.id, req.body))
    },
  )
  app.get(
    '/holds/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A hold, its seats and its expiry (the countdown)',
        params: Type.Object({ id: HoldId }),
        response: { 200: HoldJson },
      },
    },
    async (req) => seats.getHold(req.params.id),
  )
  app.post(
    '/holds/:id/confirm',
    {
      schema: {
        tags: TAGS,
        summary: 'Pay for a hold (through the payments system, or simulated) and turn it into an order',
        description:
          'Exactly once: a second confirm is 409 INVENTORY_HOLD_CONFIRMED (with the orderId), a confirm after ' +
          'the hold ran out is 409 INVENTORY_HOLD_EXPIRED, even before the expiry job has run.',
        params: Type.Object({ id: HoldId }),
        querystring: Type.Object(
          {
            paymentMethod: Type.Optional(
              Type.String({
                pattern: '^pm_[A-Za-z0-9_]{1,100}$',
                description: 'the payment method given to the payments system (default pm_card_visa)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ orderId: Type.String(), amount: Type.Integer() }) },
      },
    },
    async (req) => seats.confirm(req.params.id, req.query.paymentMethod),
  )
  app.delete(
    '/holds/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Release a hold (its seats become free)',
        description:
          'Idempotent: a hold already released or expired answers 204 too; a confirmed one is 409.',
        params: Type.Object({ id: HoldId }),
      },
    },
    async (req, reply) => {
      await seats.release(req.params.id)
      return reply.code(204).send()
    },
  )
}
