/**
 * Where the API's money moves: the ledger (../ledger), in the API request's own transaction, so
 * that a PaymentIntent's state and the transfers it made commit together. Each Stripe account
 * has, per currency, a `balance` account (what the merchant holds: it cannot go below zero, so a
 * refund beyond it is refused by the ledger) and a `network` account (the card networks and
 * banks: the outside world, unlimited). A charge moves money network -> balance; a manual
 * capture is a two-phase transfer (the authorization a pending transfer, the capture its post,
 * the cancel its void); a refund moves it back balance -> network.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import { applyInTx } from '../ledger/expiry.js'
import { FLAG_CODES, type TransferRequest, type TransferResult } from '../ledger/ports.js'
import type { PgLedgerStore } from '../ledger/store.pg.js'

/** How long an authorization holds before the ledger releases it (Stripe: 7 days for cards). */
export const AUTHORIZATION_SECONDS = 7 * 24 * 3600

export interface LedgerAccounts {
  balance: string
  network: string
}

export class Money {
  private readonly ensured = new Set<string>()

  constructor(
    private readonly db: Db,
    private readonly store: PgLedgerStore,
    private readonly jobs: SystemJobs,
  ) {}

  accounts(account: string, currency: string): LedgerAccounts {
    return { balance: `${account}:balance:${currency}`, network: `${account}:network:${currency}` }
  }

  /**
   * Create the two ledger accounts of an account and currency if missing, in the request's
   * transaction (a batch of that same transaction then sees and locks them; a concurrent
   * creator waits on the key). Inserted in id order, the order batches lock them in.
   */
  async ensure(tx: Queryable, account: string, currency: string): Promise<LedgerAccounts> {
    const a = this.accounts(account, currency)
    const k = `${account}:${currency}`
    if (this.ensured.has(k)) return a
    await tx.query(
      `INSERT INTO ledger_accounts (id, currency, flags) VALUES ($1, $3, $4), ($2, $3, 0)
       ON CONFLICT (id) DO NOTHING`,
      [a.balance, a.network, currency, FLAG_CODES.debits_must_not_exceed_credits],
    )
    // Remembered once some request saw them committed (a later call may rely on them then).
    void this.db
      .query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_accounts WHERE id = ANY ($1::text[])', [
        [a.balance, a.network],
      ])
      .then((r) => r.rows[0]?.n === 2 && this.ensured.add(k))
      .catch(() => {})
    return a
  }

  /** Apply transfers in `tx`; one result per transfer ('ok' or 'exists' when applied). */
  apply(tx: Queryable, transfers: readonly TransferRequest[]): Promise<TransferResult[]> {
    return applyInTx(tx, this.store, this.jobs, transfers)
  }

  /** Each currency's available balance of an account (posted credits minus all debits). */
  async balances(account: string): Promise<{ currency: string; available: number; pending: number }[]> {
    const { rows } = await this.db.query<{ currency: string; available: string; pending: string }>(
      `SELECT currency, (credits_posted - debits_posted - debits_pending)::text AS available,
              credits_pending::text AS pending
         FROM ledger_accounts WHERE id LIKE $1 ORDER BY currency`,
      [`${account.replace(/[%_\\]/g, '\\$&')}:balance:%`],
    )
    return rows.map((r) => ({
      currency: r.currency,
      available: Number(r.available),
      pending: Number(r.pending),
    }))
  }
}
