/**
 * PaymentIntents' state machine and the money each step moves (money.ts):
 *
 *   requires_payment_method -> requires_confirmation -> confirm:
 *     declined card  -> requires_payment_method (last_payment_error; 402 card_error)
 *     automatic      -> succeeded        ledger: network -> balance (single)
 *     manual         -> requires_capture ledger: network -> balance (pending, 7 days)
 *   requires_capture -> capture (whole or part) -> succeeded  ledger: post of the pending transfer
 *   any but succeeded/canceled -> cancel -> canceled         ledger: void of it, if authorized
 *
 * Each step runs in its request's transaction with the PaymentIntent row locked (FOR UPDATE),
 * so two confirms or captures of one PaymentIntent serialize and the second sees the first's
 * outcome. Ledger transfer ids derive from the PaymentIntent's (`pi_...:auth`), so a step can
 * never move money twice.
 */
import type { Queryable } from '../../../platform/db/port.js'
import type { Call, StripeDeps } from './api.js'
import { recordBalanceTransaction } from './balance-transactions.js'
import { cardOf, TEST_PAYMENT_METHODS, type TestCard } from './cards.js'
import { StripeErrors } from './errors.js'
import type { Outcome } from './idempotency.js'
import { AUTHORIZATION_SECONDS } from './money.js'
import { newId, nowSeconds, type StripeObject } from './objects.store.js'

export const PI_EXPANDABLE = {
  customer: 'customer',
  payment_method: 'payment_method',
  latest_charge: 'charge',
}

const CANCELABLE = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
  'processing',
]

/** What the steps need of a call: whose it is, and the request to name in events. */
export type Caller = Pick<Call, 'account' | 'request'>

/** The card behind a payment_method id: a test PaymentMethod id, or one created by the API. */
export async function cardFor(deps: StripeDeps, tx: Queryable, c: Caller, pmId: string) {
  const test = TEST_PAYMENT_METHODS[pmId]
  if (test) return { card: test, pm: testPaymentMethod(pmId, test) }
  const pm = await deps.objects.get(tx, c.account, 'payment_method', pmId)
  const card = pm && cardOf(pm)
  if (!pm || !card) throw StripeErrors.resourceMissing('PaymentMethod', pmId, 'payment_method')
  return { card, pm }
}

function testPaymentMethod(id: string, card: TestCard): StripeObject {
  return {
    id,
    object: 'payment_method',
    type: 'card',
    card: {
      brand: card.brand,
      last4: card.last4,
      exp_month: 12,
      exp_year: new Date().getFullYear() + 3,
      funding: 'credit',
      country: 'US',
    },
    customer: null,
    livemode: false,
    metadata: {},
    created: nowSeconds(),
  }
}

function ledgerOk(results: string[], what: string): void {
  // The transfers are new ids on accounts without limits on the debit side: anything else is a bug.
  if (results.some((r) => r !== 'ok' && r !== 'exists'))
    throw new Error(`ledger refused ${what}: ${results.join(',')}`)
}

/** Confirm `pi` (locked by the caller) with `pmId`: the card's outcome, the money, the events. */
export async function confirmIntent(
  deps: StripeDeps,
  tx: Queryable,
  c: Call,
  pi: StripeObject,
  pmId: string | undefined,
): Promise<StripeObject | Outcome> {
  if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation')
    throw StripeErrors.unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
      { payment_intent: pi },
    )
  const method = pmId ?? pi.payment_method
  if (!method)
    throw StripeErrors.unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method.",
      { payment_intent: pi },
    )
  const { card, pm } = await cardFor(deps, tx, c, method)
  if (card.outcome.ok && card.outcome.authenticate) {
    // The issuer asks for 3-D Secure: nothing is charged until the customer completes it at the
    // URL we serve (three-d-secure.ts), which then charges through chargeCard.
    const token = pi.client_secret as string
    const returnUrl = returnUrlOf(c.params.return_url)
    const next: StripeObject = {
      ...pi,
      payment_method: method,
      status: 'requires_action',
      next_action: {
        type: 'redirect_to_url',
        redirect_to_url: {
          url: `${c.origin}/payments/3ds/${pi.id}?client_secret=${encodeURIComponent(token)}`,
          return_url: returnUrl,
        },
      },
    }
    await deps.objects.update(tx, c.account, next)
    // Where the page sends the customer back, kept beside the PaymentIntent (not one of its
    // fields in Stripe's shape): a second submit of the page redirects there too.
    const attempt = {
      id: `${pi.id}_3ds`,
      object: 'three_d_secure',
      payment_intent: pi.id,
      return_url: returnUrl,
    }
    if (await deps.objects.get(tx, c.account, 'three_d_secure', attempt.id))
      await deps.objects.update(tx, c.account, attempt)
    else await deps.objects.insert(tx, c.account, attempt)
    await deps.events.emit(tx, c.account, 'payment_intent.requires_action', next, c.request)
    return next
  }
  return chargeCard(deps, tx, c, pi, method, pm, card)
}

/** `return_url`: an absolute http(s) URL (where the 3-D Secure page sends the customer back). */
function returnUrlOf(v: unknown): string | null {
  if (v === undefined) return null
  let u: URL | undefined
  try {
    u = typeof v === 'string' && v.length <= 2048 ? new URL(v) : undefined
  } catch {
    u = undefined
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:'))
    throw StripeErrors.invalidValue('return_url', 'Invalid URL: return_url must be an absolute http(s) URL.')
  return u.toString()
}

/** Charge `pi` on the card: a decline (402 outcome) or the money moved, the charge, the events. */
export async function chargeCard(
  deps: StripeDeps,
  tx: Queryable,
  c: Caller,
  pi: StripeObject,
  method: string,
  pm: StripeObject,
  card: TestCard,
): Promise<StripeObject | Outcome> {
  const chargeId = newId('ch')
  const charge: StripeObject = {
    id: chargeId,
    object: 'charge',
    amount: pi.amount,
    amount_captured: 0,
    amount_refunded: 0,
    captured: false,
    created: nowSeconds(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: pi.metadata,
    outcome: null,
    paid: false,
    payment_intent: pi.id,
    payment_method: method,
    payment_method_details: { type: 'card', card: pm.card },
    refunded: false,
    status: 'pending',
    balance_transaction: null,
  }
  const next: StripeObject = { ...pi, payment_method: method, latest_charge: chargeId, next_action: null }
  if (!card.outcome.ok) {
    const o = card.outcome
    Object.assign(charge, {
      status: 'failed',
      failure_code: o.code,
      failure_message: o.message,
      outcome: {
        network_status: 'declined_by_network',
        reason: o.declineCode,
        type: 'issuer_declined',
        seller_message: 'The bank declined the payment.',
      },
    })
    const error = {
      type: 'card_error' as const,
      code: o.code,
      decline_code: o.declineCode,
      message: o.message,
      charge: chargeId,
      doc_url: `https://stripe.com/docs/error-codes/${o.code.replaceAll('_', '-')}`,
      payment_method: pm,
    }
    Object.assign(next, {
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: error,
    })
    await deps.objects.insert(tx, c.account, charge)
    await deps.objects.update(tx, c.account, next)
    await deps.events.emit(tx, c.account, 'charge.failed', charge, c.request)
    await deps.events.emit(tx, c.account, 'payment_intent.payment_failed', next, c.request)
    // Stored and replayed as any outcome: the decline happened, the PaymentIntent changed.
    return { status: 402, body: { error: { ...error, payment_intent: next } } }
  }
  await deps.money.ensure(tx, c.account, pi.currency)
  // One of the merchant's shard pairs (money.ts): concurrent payments rarely share its rows.
  const a = deps.money.incoming(c.account, pi.currency, pi.id as string)
  const manual = pi.capture_method === 'manual'
  const base = {
    debitAccountId: a.network,
    creditAccountId: a.balance,
    amount: BigInt(pi.amount),
    currency: pi.currency,
  }
  const results = await deps.money.apply(tx, [
    manual
      ? { id: `${pi.id}:auth`, kind: 'pending', timeoutSeconds: AUTHORIZATION_SECONDS, ...base }
      : { id: `${pi.id}:charge`, kind: 'single', ...base },
  ])
  ledgerOk(results, `the charge of ${pi.id}`)
  Object.assign(charge, {
    status: 'succeeded',
    paid: true,
    captured: !manual,
    amount_captured: manual ? 0 : pi.amount,
    outcome: {
      network_status: 'approved_by_network',
      reason: null,
      type: 'authorized',
      seller_message: 'Payment complete.',
    },
  })
  if (!manual)
    charge.balance_transaction = await recordBalanceTransaction(deps.objects, tx, c.account, {
      type: 'charge',
      amount: pi.amount,
      currency: pi.currency,
      source: chargeId,
      description: pi.description,
    })
  Object.assign(next, {
    status: manual ? 'requires_capture' : 'succeeded',
    amount_capturable: manual ? pi.amount : 0,
    amount_received: manual ? 0 : pi.amount,
    last_payment_error: null,
  })
  await deps.objects.insert(tx, c.account, charge)
  await deps.objects.update(tx, c.account, next)
  await deps.events.emit(tx, c.account, 'charge.succeeded', charge, c.request)
  await deps.events.emit(
    tx,
    c.account,
    manual ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded',
    next,
    c.request,
  )
  return next
}

/** Capture `amount` (default: all) of an authorized PaymentIntent: the pending transfer posted. */
export async function captureIntent(
  deps: StripeDeps,
  tx: Queryable,
  c: Call,
  pi: StripeObject,
  amount: number | undefined,
): Promise<StripeObject | Outcome> {
  if (pi.status !== 'requires_capture')
    throw StripeErrors.unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      { payment_intent: pi },
    )
  const take = amount ?? pi.amount_capturable
  if (take > pi.amount_capturable)
    throw StripeErrors.amountTooLarge('amount_to_capture', pi.amount_capturable)
  const [result] = await deps.money.apply(tx, [
    { id: `${pi.id}:capture`, kind: 'post', pendingId: `${pi.id}:auth`, amount: BigInt(take) },
  ])
  const charge = await deps.objects.require(tx, c.account, 'charge', pi.latest_charge, 'charge', 'id', true)
  if (result === 'pending_transfer_expired') {
    // The authorization lapsed (7 days): the ledger released it; the PaymentIntent is over.
    const canceled = {
      ...pi,
      status: 'canceled',
      amount_capturable: 0,
      canceled_at: nowSeconds(),
      cancellation_reason: 'automatic',
    }
    await deps.objects.update(tx, c.account, canceled)
    await deps.events.emit(tx, c.account, 'payment_intent.canceled', canceled, c.request)
    return {
      status: 400,
      body: StripeErrors.unexpectedState(
        'The authorization of this PaymentIntent expired; it was canceled.',
        { payment_intent: canceled },
      ).body,
    }
  }
  ledgerOk([result!], `the capture of ${pi.id}`)
  const bt = await recordBalanceTransaction(deps.objects, tx, c.account, {
    type: 'charge',
    amount: take,
    currency: pi.currency,
    source: charge.id,
    description: pi.description,
  })
  const nextCharge = { ...charge, captured: true, amount_captured: take, balance_transaction: bt }
  const next = { ...pi, status: 'succeeded', amount_capturable: 0, amount_received: take }
  await deps.objects.update(tx, c.account, nextCharge)
  await deps.objects.update(tx, c.account, next)
  await deps.events.emit(tx, c.account, 'charge.captured', nextCharge, c.request)
  await deps.events.emit(tx, c.account, 'payment_intent.succeeded', next, c.request)
  return next
}

/** Cancel a PaymentIntent; an authorization is voided (the pending transfer released). */
export async function cancelIntent(
  deps: StripeDeps,
  tx: Queryable,
  c: Call,
  pi: StripeObject,
  reason: string | undefined,
): Promise<StripeObject> {
  if (!CANCELABLE.includes(pi.status))
    throw StripeErrors.unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      { payment_intent: pi },
    )
  if (pi.status === 'requires_capture') {
    const [result] = await deps.money.apply(tx, [
      { id: `${pi.id}:void`, kind: 'void', pendingId: `${pi.id}:auth` },
    ])
    // Already released by the expiry job: nothing is held any more, which is what a void wants.
    if (result !== 'pending_transfer_expired') ledgerOk([result!], `the void of ${pi.id}`)
    const charge = await deps.objects.require(tx, c.account, 'charge', pi.latest_charge, 'charge', 'id', true)
    await deps.objects.update(tx, c.account, { ...charge, refunded: true, amount_refunded: charge.amount })
  }
  const next = {
    ...pi,
    status: 'canceled',
    amount_capturable: 0,
    canceled_at: nowSeconds(),
    cancellation_reason: reason ?? null,
  }
  await deps.objects.update(tx, c.account, next)
  await deps.events.emit(tx, c.account, 'payment_intent.canceled', next, c.request)
  return next
}
