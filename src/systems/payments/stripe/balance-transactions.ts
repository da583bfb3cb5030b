/**
 * BalanceTransactions: one per movement of the merchant's balance, as Stripe keeps them: a
 * charge captured (+), a refund (-), a payout (-) and its cancellation (+). Each is written in
 * the transaction that moves the money in the ledger, so the sum of an account's balance
 * transactions in a currency is always its balance (no fees here: `fee` 0, `net` = `amount`).
 */
import type { Queryable } from '../../../platform/db/port.js'
import type { Router, StripeDeps } from './api.js'
import { expand, expandOf, listPage } from './lists.js'
import { newId, nowSeconds, type ObjectStore, type StripeObject } from './objects.store.js'
import { onlyParams } from './params.js'

export type BalanceTransactionType = 'charge' | 'refund' | 'payout' | 'payout_cancel'

const REPORTING: Record<BalanceTransactionType, string> = {
  charge: 'charge',
  refund: 'refund',
  payout: 'payout',
  payout_cancel: 'payout_reversal',
}

const SOURCE_TYPES: Record<BalanceTransactionType, string> = {
  charge: 'charge',
  refund: 'refund',
  payout: 'payout',
  payout_cancel: 'payout',
}

/** Record a movement of `amount` (signed, minor units) caused by `source`; returns its id. */
export async function recordBalanceTransaction(
  objects: ObjectStore,
  tx: Queryable,
  account: string,
  t: {
    type: BalanceTransactionType
    amount: number
    currency: string
    source: string
    description?: string | null
  },
): Promise<string> {
  const created = nowSeconds()
  const bt: StripeObject = {
    id: newId('txn'),
    object: 'balance_transaction',
    amount: t.amount,
    available_on: created,
    created,
    currency: t.currency,
    description: t.description ?? null,
    exchange_rate: null,
    fee: 0,
    fee_details: [],
    net: t.amount,
    reporting_category: REPORTING[t.type],
    source: t.source,
    status: 'available',
    type: t.type,
  }
  await objects.insert(tx, account, bt)
  return bt.id
}

export function balanceTransactionRoutes(deps: StripeDeps) {
  const { objects } = deps
  // `source` names a charge, refund or payout: expanded by looking up each type in turn.
  const expandSource = async (db: Queryable, account: string, bt: StripeObject, paths: string[]) => {
    if (!paths.includes('source')) return expand(objects, db, account, bt, paths, {})
    const type = bt.type === 'payout_cancel' ? 'payout' : SOURCE_TYPES[bt.type as BalanceTransactionType]
    const rest = await expand(
      objects,
      db,
      account,
      bt,
      paths.filter((x) => x !== 'source'),
      {},
    )
    return { ...rest, source: (type && (await objects.get(db, account, type, bt.source))) ?? bt.source }
  }
  return (r: Router) => {
    r.get('/balance_transactions/:id', 'Retrieve a balance transaction', async (c, db) => {
      onlyParams(c.params, ['expand'])
      const bt = await objects.require(db, c.account, 'balance_transaction', c.id, 'balance transaction')
      return expandSource(db, c.account, bt, expandOf(c.params))
    })
    r.get('/balance_transactions', 'List balance transactions', (c, db) =>
      listPage(objects, db, c.account, 'balance_transaction', '/v1/balance_transactions', c.params, [
        'type',
        'source',
        'currency',
      ]),
    )
  }
}
