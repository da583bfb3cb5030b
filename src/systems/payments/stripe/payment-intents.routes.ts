/** `/v1/payment_intents` and `/v1/payment_methods`: parameters in, the state machine of payment-intents.ts. */
import { randomBytes } from 'node:crypto'
import type { Router, StripeDeps } from './api.js'
import { TEST_CARD_NUMBERS } from './cards.js'
import { StripeErrors } from './errors.js'
import type { FormObject } from './form.js'
import { expand, expandOf, listPage } from './lists.js'
import { newId, nowSeconds, type StripeObject } from './objects.store.js'
import {
  amount,
  bool,
  currency,
  idParam,
  int,
  mergeMetadata,
  metadata,
  oneOf,
  onlyParams,
  required,
  str,
} from './params.js'
import { cancelIntent, captureIntent, confirmIntent, PI_EXPANDABLE } from './payment-intents.js'

const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const
const CREATE = [
  'amount',
  'currency',
  'customer',
  'payment_method',
  'capture_method',
  'confirm',
  'description',
  'metadata',
  'payment_method_types',
  'receipt_email',
  'statement_descriptor',
  'return_url',
  'automatic_payment_methods',
  'off_session',
  'expand',
]

function paymentMethodTypes(p: FormObject): string[] {
  const v = p.payment_method_types
  if (v === undefined) return ['card']
  if (!Array.isArray(v) || v.some((x) => x !== 'card'))
    throw StripeErrors.invalidValue(
      'payment_method_types',
      'Only card payments are simulated: payment_method_types must be [card].',
    )
  return ['card']
}

export function paymentIntentRoutes(deps: StripeDeps) {
  const { objects, events } = deps
  const customerOf = async (
    tx: Parameters<typeof objects.get>[0],
    account: string,
    id: string | undefined,
  ) => {
    if (id !== undefined) await objects.require(tx, account, 'customer', id, 'customer', 'customer')
    return id ?? null
  }
  const show = (tx: Parameters<typeof objects.get>[0], account: string, o: StripeObject, p: FormObject) =>
    expand(objects, tx, account, o, expandOf(p), PI_EXPANDABLE)

  return (r: Router) => {
    r.post('/payment_intents', 'Create a PaymentIntent', async (c, tx) => {
      const p = c.params
      onlyParams(p, CREATE)
      const amt = required(amount(p, 'amount'), 'amount')
      const cur = required(currency(p), 'currency')
      const captureMethod = oneOf(p, 'capture_method', CAPTURE_METHODS) ?? 'automatic'
      const confirm = bool(p, 'confirm') ?? false
      bool(p, 'off_session')
      const pm = idParam(p, 'payment_method')
      const pi: StripeObject = {
        id: newId('pi'),
        object: 'payment_intent',
        amount: amt,
        amount_capturable: 0,
        amount_received: 0,
        canceled_at: null,
        cancellation_reason: null,
        capture_method: captureMethod,
        client_secret: '',
        confirmation_method: 'automatic',
        created: nowSeconds(),
        currency: cur,
        customer: await customerOf(tx, c.account, idParam(p, 'customer')),
        description: str(p, 'description', 1000) ?? null,
        last_payment_error: null,
        latest_charge: null,
        livemode: false,
        metadata: metadata(p) ?? {},
        next_action: null,
        payment_method: pm ?? null,
        payment_method_types: paymentMethodTypes(p),
        receipt_email: str(p, 'receipt_email', 512) ?? null,
        statement_descriptor: str(p, 'statement_descriptor', 22) ?? null,
        status: pm ? 'requires_confirmation' : 'requires_payment_method',
      }
      str(p, 'return_url', 2048)
      pi.client_secret = `${pi.id}_secret_${randomBytes(12).toString('hex')}`
      await objects.insert(tx, c.account, pi)
      await events.emit(tx, c.account, 'payment_intent.created', pi, c.request)
      if (!confirm) return show(tx, c.account, pi, p)
      const out = await confirmIntent(deps, tx, c, pi, pm)
      return 'object' in out ? show(tx, c.account, out, p) : out
    })
    r.get('/payment_intents/:id', 'Retrieve a PaymentIntent', async (c, db) => {
      onlyParams(c.params, ['expand', 'client_secret'])
      const pi = await objects.require(db, c.account, 'payment_intent', c.id, 'payment_intent')
      return show(db, c.account, pi, c.params)
    })
    r.post('/payment_intents/:id', 'Update a PaymentIntent', async (c, tx) => {
      const p = c.params
      onlyParams(p, [
        'amount',
        'currency',
        'customer',
        'payment_method',
        'capture_method',
        'description',
        'metadata',
        'receipt_email',
        'expand',
      ])
      const pi = await objects.require(tx, c.account, 'payment_intent', c.id, 'payment_intent', 'id', true)
      const next = { ...pi }
      const money = ['amount', 'currency', 'customer', 'payment_method', 'capture_method'].some(
        (k) => p[k] !== undefined,
      )
      if (money && pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation')
        throw StripeErrors.unexpectedState(
          `You cannot update this PaymentIntent because it has a status of ${pi.status}.`,
        )
      next.amount = amount(p, 'amount') ?? pi.amount
      next.currency = currency(p) ?? pi.currency
      next.capture_method = oneOf(p, 'capture_method', CAPTURE_METHODS) ?? pi.capture_method
      if (p.customer !== undefined) next.customer = await customerOf(tx, c.account, idParam(p, 'customer'))
      const pm = idParam(p, 'payment_method')
      if (pm !== undefined) Object.assign(next, { payment_method: pm, status: 'requires_confirmation' })
      next.description = str(p, 'description', 1000) ?? pi.description
      next.receipt_email = str(p, 'receipt_email', 512) ?? pi.receipt_email
      next.metadata = mergeMetadata(pi.metadata, metadata(p))
      await objects.update(tx, c.account, next)
      return show(tx, c.account, next, p)
    })
    r.post('/payment_intents/:id/confirm', 'Confirm a PaymentIntent', async (c, tx) => {
      onlyParams(c.params, ['payment_method', 'return_url', 'off_session', 'receipt_email', 'expand'])
      const pm = idParam(c.params, 'payment_method')
      const pi = await objects.require(tx, c.account, 'payment_intent', c.id, 'payment_intent', 'id', true)
      const out = await confirmIntent(deps, tx, c, pi, pm)
      return 'object' in out ? show(tx, c.account, out, c.params) : out
    })
    r.post('/payment_intents/:id/capture', 'Capture a PaymentIntent', async (c, tx) => {
      onlyParams(c.params, ['amount_to_capture', 'metadata', 'expand'])
      const amt = amount(c.params, 'amount_to_capture', 1)
      const pi = await objects.require(tx, c.account, 'payment_intent', c.id, 'payment_intent', 'id', true)
      const out = await captureIntent(deps, tx, c, pi, amt)
      return 'object' in out ? show(tx, c.account, out, c.params) : out
    })
    r.post('/payment_intents/:id/cancel', 'Cancel a PaymentIntent', async (c, tx) => {
      onlyParams(c.params, ['cancellation_reason', 'expand'])
      const reason = oneOf(c.params, 'cancellation_reason', [
        'duplicate',
        'fraudulent',
        'requested_by_customer',
        'abandoned',
      ])
      const pi = await objects.require(tx, c.account, 'payment_intent', c.id, 'payment_intent', 'id', true)
      return show(tx, c.account, await cancelIntent(deps, tx, c, pi, reason), c.params)
    })
    r.get('/payment_intents', 'List PaymentIntents', (c, db) =>
      listPage(
        objects,
        db,
        c.account,
        'payment_intent',
        '/v1/payment_intents',
        c.params,
        ['customer'],
        PI_EXPANDABLE,
      ),
    )

    r.post('/payment_methods', 'Create a PaymentMethod (test card numbers)', async (c, tx) => {
      const p = c.params
      onlyParams(p, ['type', 'card', 'billing_details', 'metadata', 'expand'])
      if (required(str(p, 'type', 20), 'type') !== 'card')
        throw StripeErrors.invalidValue('type', 'Only type=card is simulated.')
      const card = p.card
      if (typeof card !== 'object' || Array.isArray(card)) throw StripeErrors.missingParam('card')
      const number = required(str(card, 'number', 19), 'card[number]').replace(/\s/g, '')
      const known = TEST_CARD_NUMBERS[number]
      if (!known)
        return {
          status: 402,
          body: {
            error: {
              type: 'card_error',
              code: 'incorrect_number',
              message: "Your card number is incorrect (only Stripe's test card numbers are accepted here).",
              param: 'card[number]',
            },
          },
        }
      const expMonth = required(int(card, 'exp_month', 1, 12), 'card[exp_month]')
      const expYear = required(int(card, 'exp_year', 2000, 2100), 'card[exp_year]')
      str(card, 'cvc', 4)
      const pm: StripeObject = {
        id: newId('pm'),
        object: 'payment_method',
        billing_details: { address: null, email: null, name: null, phone: null },
        card: {
          brand: known.brand,
          last4: known.last4,
          exp_month: expMonth,
          exp_year: expYear,
          funding: 'credit',
          country: 'US',
        },
        created: nowSeconds(),
        customer: null,
        livemode: false,
        metadata: metadata(p) ?? {},
        type: 'card',
      }
      await objects.insert(tx, c.account, pm)
      return pm
    })
    r.get('/payment_methods/:id', 'Retrieve a PaymentMethod', async (c, db) => {
      onlyParams(c.params, ['expand'])
      return objects.require(db, c.account, 'payment_method', c.id, 'payment_method')
    })
  }
}
