/**
 * `/v1/refunds`, and the read-only resources: charges, events, balance. A refund moves money
 * back through the ledger (balance -> network) in the transaction that locks its charge, so
 * concurrent refunds of one charge serialize and never exceed what was captured; the merchant
 * balance cannot go below zero (the ledger's limit: balance_insufficient).
 */
import type { Router, StripeDeps } from './api.js'
import { recordBalanceTransaction } from './balance-transactions.js'
import { StripeErrors } from './errors.js'
import { expand, expandOf, listPage } from './lists.js'
import { newId, nowSeconds, type StripeObject } from './objects.store.js'
import { amount, idParam, metadata, oneOf, onlyParams } from './params.js'

const REFUND_EXPANDABLE = { charge: 'charge', payment_intent: 'payment_intent' }
const CHARGE_EXPANDABLE = { customer: 'customer', payment_intent: 'payment_intent' }

export function refundRoutes(deps: StripeDeps) {
  const { objects, events, money } = deps
  return (r: Router) => {
    r.post('/refunds', 'Create a refund', async (c, tx) => {
      const p = c.params
      onlyParams(p, ['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand'])
      const piId = idParam(p, 'payment_intent')
      let chargeId = idParam(p, 'charge')
      const amt = amount(p, 'amount', 1)
      const reason = oneOf(p, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer']) ?? null
      const meta = metadata(p) ?? {}
      if (!piId && !chargeId) throw StripeErrors.missingParam('payment_intent')
      if (piId) {
        const pi = await objects.require(
          tx,
          c.account,
          'payment_intent',
          piId,
          'payment_intent',
          'payment_intent',
        )
        if (pi.status !== 'succeeded' || !pi.latest_charge)
          throw StripeErrors.unexpectedState(
            `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          )
        if (chargeId && chargeId !== pi.latest_charge)
          throw StripeErrors.invalidValue('charge', "The charge is not the PaymentIntent's.")
        chargeId = pi.latest_charge as string
      }
      // Locked: refunds of one charge run one at a time and each sees the amount left.
      const charge = await objects.require(tx, c.account, 'charge', chargeId!, 'charge', 'charge', true)
      if (!charge.captured || charge.status !== 'succeeded')
        throw StripeErrors.unexpectedState(
          `Charge ${charge.id} has not been captured; cancel its PaymentIntent instead.`,
        )
      const left = charge.amount_captured - charge.amount_refunded
      if (left <= 0) throw StripeErrors.chargeAlreadyRefunded(charge.id)
      const take = amt ?? left
      if (take > left) throw StripeErrors.amountTooLarge('amount', left)
      const a = money.accounts(c.account, charge.currency)
      const refund: StripeObject = {
        id: newId('re'),
        object: 'refund',
        amount: take,
        balance_transaction: null,
        charge: charge.id,
        created: nowSeconds(),
        currency: charge.currency,
        metadata: meta,
        payment_intent: charge.payment_intent,
        reason,
        receipt_number: null,
        status: 'succeeded',
      }
      // Charges landed in the balance's shards: gathered into the main account if it is short.
      await money.cover(tx, c.account, charge.currency, BigInt(take), refund.id as string)
      const [result] = await money.apply(tx, [
        {
          id: refund.id,
          kind: 'single',
          debitAccountId: a.balance,
          creditAccountId: a.network,
          amount: BigInt(take),
          currency: charge.currency,
        },
      ])
      if (result === 'exceeds_credits') throw StripeErrors.balanceInsufficient()
      if (result !== 'ok') throw new Error(`ledger refused refund ${refund.id}: ${result}`)
      refund.balance_transaction = await recordBalanceTransaction(objects, tx, c.account, {
        type: 'refund',
        amount: -take,
        currency: charge.currency,
        source: refund.id,
        description: 'REFUND FOR CHARGE',
      })
      const nextCharge = {
        ...charge,
        amount_refunded: charge.amount_refunded + take,
        refunded: take === left,
      }
      await objects.insert(tx, c.account, refund)
      await objects.update(tx, c.account, nextCharge)
      await events.emit(tx, c.account, 'refund.created', refund, c.request)
      await events.emit(tx, c.account, 'charge.refunded', nextCharge, c.request)
      return expand(objects, tx, c.account, refund, expandOf(p), REFUND_EXPANDABLE)
    })
    r.get('/refunds/:id', 'Retrieve a refund', async (c, db) => {
      onlyParams(c.params, ['expand'])
      const o = await objects.require(db, c.account, 'refund', c.id, 'refund')
      return expand(objects, db, c.account, o, expandOf(c.params), REFUND_EXPANDABLE)
    })
    r.get('/refunds', 'List refunds', (c, db) =>
      listPage(
        objects,
        db,
        c.account,
        'refund',
        '/v1/refunds',
        c.params,
        ['payment_intent', 'charge'],
        REFUND_EXPANDABLE,
      ),
    )
    r.get('/charges/:id', 'Retrieve a charge', async (c, db) => {
      onlyParams(c.params, ['expand'])
      const o = await objects.require(db, c.account, 'charge', c.id, 'charge')
      return expand(objects, db, c.account, o, expandOf(c.params), CHARGE_EXPANDABLE)
    })
    r.get('/charges', 'List charges', (c, db) =>
      listPage(
        objects,
        db,
        c.account,
        'charge',
        '/v1/charges',
        c.params,
        ['payment_intent', 'customer'],
        CHARGE_EXPANDABLE,
      ),
    )
    r.get('/events/:id', 'Retrieve an event', async (c, db) => {
      onlyParams(c.params, ['expand'])
      return objects.require(db, c.account, 'event', c.id, 'event')
    })
    r.get('/events', 'List events', (c, db) =>
      listPage(objects, db, c.account, 'event', '/v1/events', c.params, ['type']),
    )
    r.get('/balance', 'Retrieve the balance', async (c) => {
      onlyParams(c.params, ['expand'])
      const rows = await money.balances(c.account)
      return {
        object: 'balance',
        available: rows.map((b) => ({
          amount: b.available,
          currency: b.currency,
          source_types: { card: b.available },
        })),
        pending: rows.map((b) => ({ amount: 0, currency: b.currency, source_types: { card: 0 } })),
        livemode: false,
      }
    })
  }
}
