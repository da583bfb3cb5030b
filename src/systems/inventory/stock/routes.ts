/** `/inventory/products`, `/locations`, `/stock`, `/reservations`, `/orders`: HTTP schemas <-> StockService calls. */
import { Type } from '@sinclair/typebox'
import { type BearerTokenOptions, requireBearerToken } from '../../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../../platform/http/types.js'
import { StockErrors } from './errors.js'
import type { StockService } from './service.js'

const TAGS = ['inventory']
const Sku = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'letters, digits, . _ -; at most 64',
})
const LocationId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
const Units = Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'units, at least 1' })

const Variant = Type.Object(
  {
    sku: Sku,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    policy: Type.Optional(
      Type.Union([Type.Literal('deny'), Type.Literal('backorder'), Type.Literal('preorder')]),
    ),
    oversellLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    releasesAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    lowStockThreshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    price: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'minor units' })),
    components: Type.Optional(
      Type.Array(Type.Object({ sku: Sku, quantity: Units }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 50,
      }),
    ),
  },
  { additionalProperties: false },
)

const Line = Type.Object({
  sku: Type.String(),
  location: Type.String(),
  quantity: Type.Integer(),
  forSku: Type.String(),
  backordered: Type.Integer(),
  returned: Type.Optional(Type.Integer()),
})
const Reservation = Type.Object({
  id: Type.String(),
  state: Type.String(),
  expiresAt: Type.String(),
  orderId: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(Line),
})
const Level = Type.Object({
  sku: Type.String(),
  location: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
})
const StockChange = Type.Object(
  {
    sku: Sku,
    location: LocationId,
    quantity: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)

/** The catalogue, locations and stock changes: behind INVENTORY_API_TOKEN when it is set. */
export function stockAdminRoutes(app: TypedApp, stock: StockService, auth: BearerTokenOptions): void {
  requireBearerToken(app, auth)
  app.post(
    '/products',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a product and its variants (SKUs); a kit lists its components',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            variants: Type.Array(Variant, { minItems: 1, maxItems: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String(), skus: Type.Array(Type.String()) }) },
      },
    },
    async (req, reply) => reply.code(201).send(await stock.createProduct(req.body.name, req.body.variants)),
  )
  app.post(
    '/locations',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a stock location (warehouse, store)',
        body: Type.Object(
          { id: LocationId, name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String() }) },
      },
    },
    async (req, reply) => {
      await stock.createLocation(req.body.id, req.body.name)
      return reply.code(201).send({ id: req.body.id })
    },
  )
  app.post(
    '/stock/receipts',
    {
      schema: {
        tags: TAGS,
        summary: 'Units arrive at a location (quantity at least 1)',
        body: StockChange,
        response: { 201: Level },
      },
    },
    async (req, reply) => {
      if (req.body.quantity < 1)
        throw StockErrors.invalid(
          'quantity',
          'a receipt brings at least 1 unit (use /stock/adjustments to correct a count)',
        )
      return reply
        .code(201)
        .send(
          await stock.changeOnHand(
            'receive',
            req.body.sku,
            req.body.location,
            req.body.quantity,
            req.body.note,
          ),
        )
    },
  )
  app.post(
    '/stock/adjustments',
    {
      schema: {
        tags: TAGS,
        summary: 'Correct on hand after a count (either sign; never below zero)',
        body: StockChange,
        response: { 201: Level },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await stock.changeOnHand(
            'adjust',
            req.body.sku,
            req.body.location,
            req.body.quantity,
            req.body.note,
          ),
        ),
  )
  app.get(
    '/audit/stock',
    {
      schema: {
        tags: TAGS,
        summary: 'Levels rebuilt from the movement log that differ from the stored ones (empty: they agree)',
      },
    },
    async () => ({ mismatches: await stock.audit() }),
  )
}

/** A buyer's reservations and orders, and the levels (public). */
export function stockBuyerRoutes(app: TypedApp, stock: StockService, maxItems: number): void {
  app.get(
    '/stock/:sku',
    {
      schema: {
        tags: TAGS,
        summary: 'A SKU’s levels per location',
        params: Type.Object({ sku: Sku }),
        response: {
          200: Type.Object({ sku: Type.String(), locations: Type.Array(Type.Omit(Level, ['sku'])) }),
        },
      },
    },
    async (req) => stock.levels(req.params.sku),
  )
  app.get(
    '/stock/:sku/movements',
    {
      schema: {
        tags: TAGS,
        summary: 'A SKU’s movement log, oldest first (page with `after`)',
        params: Type.Object({ sku: Sku }),
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
      },
    },
    async (req) => stock.movements(req.params.sku, req.query.after ?? 0, req.query.limit ?? 100),
  )
  app.post(
    '/reservations',
    {
      schema: {
        tags: TAGS,
        summary: 'Reserve items, all or nothing, for a time',
        description:
          'A kit reserves its components. Each line comes from one location (the one named, else the one with the ' +
          'most available). 409 INVENTORY_INSUFFICIENT_STOCK names the SKUs short; 422 unknown SKUs or locations.',
        body: Type.Object(
          {
            items: Type.Array(
              Type.Object(
                { sku: Sku, quantity: Units, location: Type.Optional(LocationId) },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: maxItems },
            ),
            ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Reservation },
      },
    },
    async (req, reply) => reply.code(201).send(await stock.reserve(req.body.items, req.body.ttlSeconds)),
  )
  app.get(
    '/reservations/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A reservation, its lines and its expiry',
        params: Type.Object({ id: Id }),
        response: { 200: Reservation },
      },
    },
    async (req) => stock.getReservation(req.params.id),
  )
  app.post(
    '/reservations/:id/confirm',
    {
      schema: {
        tags: TAGS,
        summary: 'Turn a reservation into an order (exactly once)',
        description:
          'Again: 409 INVENTORY_RESERVATION_CONFIRMED with the orderId; after its expiry 409 INVENTORY_RESERVATION_EXPIRED.',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ orderId: Type.String(), amount: Type.Integer() }) },
      },
    },
    async (req) => stock.confirm(req.params.id),
  )
  app.delete(
    '/reservations/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Cancel a reservation (idempotent; a confirmed one is 409)',
        params: Type.Object({ id: Id }),
      },
    },
    async (req, reply) => {
      await stock.cancel(req.params.id)
      return reply.code(204).send()
    },
  )
  app.post(
    '/orders/:id/cancel',
    {
      schema: {
        tags: TAGS,
        summary: 'Cancel an order: its units go back on hand',
        params: Type.Object({ id: Id }),
      },
    },
    async (req, reply) => {
      await stock.cancelOrder(req.params.id)
      return reply.code(204).send()
    },
  )
  app.post(
    '/orders/:id/returns',
    {
      schema: {
        tags: TAGS,
        summary: 'Units of an order come back on hand (a kit as its components)',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            items: Type.Array(Type.Object({ sku: Sku, quantity: Units }, { additionalProperties: false }), {
              minItems: 1,
              maxItems: 100,
            }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      await stock.returnItems(req.params.id, req.body.items)
      return reply.code(204).send()
    },
  )
}
