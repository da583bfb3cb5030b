/**
 * Payouts to a simulated bank. A payout reserves its amount in the ledger at once (a pending
 * transfer balance -> network, so the available balance drops and the ledger's limit refuses a
 * payout beyond it: `balance_insufficient`), and enqueues, in the same transaction, the bank's
 * answer (a job after PAYMENTS_PAYOUT_DELAY_MS): the transfer posted, the payout `paid`. Until
 * then it can be canceled: the transfer voided, the money back. The job and a cancel lock the
 * payout's row, so exactly one of them wins; the ledger's transfer ids (`po_...:paid`,
 * `:canceled`) make each step happen once whatever retries.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import type { TaskDefinition } from '../../../platform/jobs/types.js'
import type { Router, StripeDeps } from './api.js'
import { recordBalanceTransaction } from './balance-transactions.js'
import { StripeErrors } from './errors.js'
import type { Events } from './events.js'
import { expand, expandOf, listPage } from './lists.js'
import type { Money } from './money.js'
import { newId, nowSeconds, type ObjectStore, type StripeObject } from './objects.store.js'
import { amount, currency, metadata, oneOf, onlyParams, required, str } from './params.js'

export const BANK_QUEUE = 'payments.bank'
export const PAYOUT_TASK = 'payments.bank-payout'
const EXPANDABLE = { balance_transaction: 'balance_transaction' }

interface BankPayload {
  account: string
  payout: string
}

const ledgerOk = (r: string | undefined, what: string) => {
  if (r !== 'ok' && r !== 'exists') throw new Error(`ledger refused ${what}: ${r}`)
}

export function payoutRoutes(deps: StripeDeps & { jobs: SystemJobs; payoutDelayMs: number }) {
  const { objects, events, money, jobs } = deps
  return (r: Router) => {
    r.post('/payouts', 'Create a payout to the (simulated) bank', async (c, tx) => {
      const p = c.params
      onlyParams(p, [
        'amount',
        'currency',
        'description',
        'metadata',
        'method',
        'statement_descriptor',
        'expand',
      ])
      const amt = required(amount(p, 'amount', 1), 'amount')
      const cur = required(currency(p), 'currency')
      const a = await money.ensure(tx, c.account, cur)
      const created = nowSeconds()
      const po: StripeObject = {
        id: newId('po'),
        object: 'payout',
        amount: amt,
        arrival_date: created + Math.ceil(deps.payoutDelayMs / 1000),
        automatic: false,
        balance_transaction: null,
        created,
        currency: cur,
        description: str(p, 'description') ?? null,
        destination: 'ba_simulated_bank',
        failure_balance_transaction: null,
        failure_code: null,
        failure_message: null,
        livemode: false,
        metadata: metadata(p) ?? {},
        method: oneOf(p, 'method', ['standard', 'instant']) ?? 'standard',
        source_type: 'card',
        statement_descriptor: str(p, 'statement_descriptor', 22) ?? null,
        status: 'pending',
        type: 'bank_account',
      }
      await money.cover(tx, c.account, cur, BigInt(amt), po.id as string)
      const [result] = await money.apply(tx, [
        {
          id: `${po.id}:payout`,
          kind: 'pending',
          debitAccountId: a.balance,
          creditAccountId: a.network,
          amount: BigInt(amt),
          currency: cur,
        },
      ])
      if (result === 'exceeds_credits')
        throw StripeErrors.balanceInsufficient(
          'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low.',
        )
      ledgerOk(result, `payout ${po.id}`)
      po.balance_transaction = await recordBalanceTransaction(objects, tx, c.account, {
        type: 'payout',
        amount: -amt,
        currency: cur,
        source: po.id,
        description: po.description,
      })
      await objects.insert(tx, c.account, po)
      await events.emit(tx, c.account, 'payout.created', po, c.request)
      const payload: BankPayload = { account: c.account, payout: po.id }
      await jobs.addJob(tx, BANK_QUEUE, {
        task: PAYOUT_TASK,
        payload,
        runAt: new Date(Date.now() + deps.payoutDelayMs),
      })
      return expand(objects, tx, c.account, po, expandOf(p), EXPANDABLE)
    })
    r.post('/payouts/:id/cancel', 'Cancel a pending payout', async (c, tx) => {
      onlyParams(c.params, ['expand'])
      const po = await objects.require(tx, c.account, 'payout', c.id, 'payout', 'id', true)
      if (po.status !== 'pending')
        throw StripeErrors.invalidState(
          `Payouts can only be canceled while they are pending (this one is ${po.status}).`,
        )
      const [result] = await money.apply(tx, [
        { id: `${po.id}:canceled`, kind: 'void', pendingId: `${po.id}:payout` },
      ])
      ledgerOk(result, `the cancel of ${po.id}`)
      const back = await recordBalanceTransaction(objects, tx, c.account, {
        type: 'payout_cancel',
        amount: po.amount,
        currency: po.currency,
        source: po.id,
        description: po.description,
      })
      const next = { ...po, status: 'canceled', failure_balance_transaction: back }
      await objects.update(tx, c.account, next)
      await events.emit(tx, c.account, 'payout.canceled', next, c.request)
      return expand(objects, tx, c.account, next, expandOf(c.params), EXPANDABLE)
    })
    r.get('/payouts/:id', 'Retrieve a payout', async (c, db) => {
      onlyParams(c.params, ['expand'])
      const po = await objects.require(db, c.account, 'payout', c.id, 'payout')
      return expand(objects, db, c.account, po, expandOf(c.params), EXPANDABLE)
    })
    r.get('/payouts', 'List payouts', (c, db) =>
      listPage(objects, db, c.account, 'payout', '/v1/payouts', c.params, ['status'], EXPANDABLE),
    )
  }
}

/** The simulated bank: a pending payout is paid (its reserved transfer posted). */
export function payoutTask(deps: {
  db: Db
  objects: ObjectStore
  money: Money
  events: Events
}): TaskDefinition {
  return {
    description: 'The simulated bank pays a pending payout',
    async handler(payload) {
      const { account, payout } = payload as BankPayload
      return deps.db.tx(async (tx: Queryable) => {
        const po = await deps.objects.get(tx, account, 'payout', payout, { forUpdate: true })
        // Canceled first (or paid by an earlier attempt of this job): nothing to do.
        if (po?.status !== 'pending') return { status: po?.status ?? 'missing' }
        const [result] = await deps.money.apply(tx, [
          { id: `${po.id}:paid`, kind: 'post', pendingId: `${po.id}:payout` },
        ])
        ledgerOk(result, `the payment of ${po.id}`)
        const next = { ...po, status: 'paid' }
        await deps.objects.update(tx, account, next)
        await deps.events.emit(tx, account, 'payout.paid', next, { id: null, idempotencyKey: null })
        return { status: 'paid' }
      })
    },
  }
}
