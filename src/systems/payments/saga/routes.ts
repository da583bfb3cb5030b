/** `/payments/checkouts` (the checkout saga) and `/payments/warehouse` (its simulated stock) over HTTP. */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../../platform/errors.js'
import type { TypedApp } from '../../../platform/http/types.js'
import { isCurrency } from '../ledger/currencies.js'
import { ID_PATTERN } from '../ledger/input.js'
import type { Acquirer } from './acquirer.js'
import { CheckoutSagas } from './saga.js'
import type { Warehouse } from './warehouse.js'

const TAGS = ['payments']
const Sku = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })

const CheckoutBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: ID_PATTERN,
        description: 'the checkout id (idempotent): same id, same checkout',
      }),
    ),
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'minor units' }),
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    card: Type.String({ pattern: '^[0-9]{12,19}$', description: 'a test card number (saga/README.md)' }),
    sku: Sku,
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
)

/** Register the saga's routes. */
export function sagaRoutes(
  app: TypedApp,
  sagas: CheckoutSagas,
  warehouse: Warehouse,
  acquirer: Acquirer,
): void {
  app.post(
    '/checkouts',
    {
      schema: {
        tags: TAGS,
        summary: 'Start a checkout saga (reserve, authorize, capture, fulfil)',
        body: CheckoutBody,
      },
    },
    async (req, reply) => {
      const b = req.body
      if (!isCurrency(b.currency))
        throw new AppError(
          'PAYMENTS_INVALID_CURRENCY',
          400,
          `unknown currency: ${b.currency} (ISO 4217, lower case)`,
        )
      const id = b.id ?? `co_${crypto.randomUUID().replaceAll('-', '')}`
      const { checkout, created } = await sagas.start({ ...b, id })
      const same =
        checkout.amount === b.amount &&
        checkout.currency === b.currency &&
        checkout.card === b.card &&
        checkout.sku === b.sku &&
        checkout.quantity === b.quantity
      if (!same)
        throw new AppError('PAYMENTS_CHECKOUT_EXISTS', 409, `checkout ${id} exists with other fields`)
      return reply.code(created ? 202 : 200).send(checkout)
    },
  )
  app.get(
    '/checkouts/:id',
    {
      schema: {
        tags: TAGS,
        summary: "A checkout: its state, its saga log, and the acquirer's record of its payment",
        params: Type.Object({ id: Type.String({ pattern: ID_PATTERN }) }),
      },
    },
    async (req) => {
      const checkout = await sagas.get(req.params.id)
      if (!checkout) throw new AppError('PAYMENTS_CHECKOUT_NOT_FOUND', 404, `no checkout ${req.params.id}`)
      return {
        ...checkout,
        log: await sagas.history(checkout.id),
        acquirer: (await acquirer.peek(CheckoutSagas.paymentKey(checkout.id))) ?? null,
        acquirerCalls: await acquirer.calls(CheckoutSagas.paymentKey(checkout.id)),
        // Payments at the acquirer under any key of this checkout: a saga that charged twice shows 2.
        acquirerPayments: await acquirer.paymentsUnder(`${checkout.id}:`),
      }
    },
  )
  app.get(
    '/warehouse/stock/:sku',
    {
      schema: {
        tags: TAGS,
        summary: "A SKU's stock in the simulated warehouse",
        params: Type.Object({ sku: Sku }),
      },
    },
    async (req) => {
      const available = await warehouse.available(req.params.sku)
      if (available === undefined)
        throw new AppError('PAYMENTS_SKU_NOT_FOUND', 404, `no stock of ${req.params.sku}`)
      return { sku: req.params.sku, available }
    },
  )
  app.put(
    '/warehouse/stock/:sku',
    {
      schema: {
        tags: TAGS,
        summary: "Set a SKU's stock in the simulated warehouse",
        params: Type.Object({ sku: Sku }),
        body: Type.Object(
          { available: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      await warehouse.stock(req.params.sku, req.body.available)
      return { sku: req.params.sku, available: await warehouse.available(req.params.sku) }
    },
  )
}
