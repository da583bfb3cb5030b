/**
 * Where the API's money moves: the ledger (../ledger), in the API request's own transaction, so
 * that a PaymentIntent's state and the transfers it made commit together. Each Stripe account
 * has, per currency, a `balance` account (what the merchant holds: it cannot go below zero, so a
 * refund beyond it is refused by the ledger) and a `network` account (the card networks and
 * banks: the outside world, unlimited). A charge moves money network -> balance; a manual
 * capture is a two-phase transfer (the authorization a pending transfer, the capture its post,
 * the cancel its void); a refund moves it back balance -> network.
 *
 * Hot accounts: a request's transfer locks its two accounts until the request's transaction
 * commits, so if every payment of a merchant credited the same row, the merchant's payments
 * would run one at a time. Charges therefore go to one of `shards` pairs of sub-accounts
 * (`<balance>:<n>` from `<network>:<n>`, n from the PaymentIntent's id), which concurrent payments
 * rarely share. The merchant's balance is the sum of the main account and its shards (read with
 * one query). Money leaves only from the main account (refunds, payouts: the ones with a limit
 * to check); when it holds too little, `cover` first sweeps the shards into it, in the same
 * transaction, with the shards locked in id order after the main account.
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

/** A small stable hash (FNV-1a): the same PaymentIntent always picks the same shard. */
function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0
  return h % shards
}

export class Money {
  private readonly ensured = new Set<string>()

  constructor(
    private readonly db: Db,
    private readonly store: PgLedgerStore,
    private readonly jobs: SystemJobs,
    /** Sub-account pairs per account and currency that charges spread over (never lowered). */
    private readonly shards = 16,
  ) {}

  /** The main pair: refunds and payouts debit its balance. */
  accounts(account: string, currency: string): LedgerAccounts {
    return { balance: `${account}:balance:${currency}`, network: `${account}:network:${currency}` }
  }

  /** The shard pair a charge identified by `key` (its PaymentIntent's id) credits. */
  incoming(account: string, currency: string, key: string): LedgerAccounts {
    const a = this.accounts(account, currency)
    const n = shardOf(key, this.shards)
    return { balance: `${a.balance}:${n}`, network: `${a.network}:${n}` }
  }

  private shardIds(a: LedgerAccounts): string[] {
    return Array.from({ length: this.shards }, (_, n) => `${a.balance}:${n}`)
  }

  /**
   * Make sure the main balance of `account` can give `amount` (a refund or payout about to debit
   * it): if it holds less, sweep every shard's available money into it, in `tx`. Locks the main
   * account, then (only when sweeping) the shards in id order: the ledger's own lock order, so
   * no deadlock with a batch. Too little even then: the debit that follows is refused by the
   * ledger's limit, and the caller's transaction (the sweep with it) rolls back.
   */
  async cover(
    tx: Queryable,
    account: string,
    currency: string,
    amount: bigint,
    source: string,
  ): Promise<void> {
    const a = await this.ensure(tx, account, currency)
    const main = await tx.query<{ avail: string }>(
      `SELECT (credits_posted - debits_posted - debits_pending)::text AS avail
         FROM ledger_accounts WHERE id = $1 FOR UPDATE`,
      [a.balance],
    )
    if (BigInt(main.rows[0]?.avail ?? '0') >= amount) return
    const { rows } = await tx.query<{ id: string; avail: string }>(
      `SELECT id, (credits_posted - debits_posted - debits_pending)::text AS avail
         FROM ledger_accounts WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE`,
      [this.shardIds(a)],
    )
    const sweeps: TransferRequest[] = rows
      .filter((r) => BigInt(r.avail) > 0n)
      .map((r) => ({
        id: `${source}:sweep:${r.id.slice(a.balance.length + 1)}`,
        kind: 'single',
        debitAccountId: r.id,
        creditAccountId: a.balance,
        amount: BigInt(r.avail),
        currency,
      }))
    if (sweeps.length === 0) return
    const results = await this.apply(tx, sweeps)
    // The shards are locked and the amounts what they hold: a refusal here is a bug.
    if (results.some((r) => r !== 'ok')) throw new Error(`ledger refused a sweep: ${results.join(',')}`)
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
    const balances = [a.balance, ...this.shardIds(a)]
    const networks = [a.network, ...this.shardIds(a).map((id) => a.network + id.slice(a.balance.length))]
    const ids = [...balances, ...networks]
    await tx.query(
      `INSERT INTO ledger_accounts (id, currency, flags)
       SELECT id, $2, CASE WHEN id = ANY ($3::text[]) THEN $4::int ELSE 0 END
         FROM unnest($1::text[]) id ORDER BY id
       ON CONFLICT (id) DO NOTHING`,
      [ids, currency, balances, FLAG_CODES.debits_must_not_exceed_credits],
    )
    // Remembered once some request saw them committed (a later call may rely on them then).
    void this.db
      .query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_accounts WHERE id = ANY ($1::text[])', [
        ids,
      ])
      .then((r) => r.rows[0]?.n === ids.length && this.ensured.add(k))
      .catch(() => {})
    return a
  }

  /** Apply transfers in `tx`; one result per transfer ('ok' or 'exists' when applied). */
  apply(tx: Queryable, transfers: readonly TransferRequest[]): Promise<TransferResult[]> {
    return applyInTx(tx, this.store, this.jobs, transfers)
  }

  /** Each currency's available balance of an account (posted credits minus all debits), shards summed. */
  async balances(account: string): Promise<{ currency: string; available: number; pending: number }[]> {
    const { rows } = await this.db.query<{ currency: string; available: string; pending: string }>(
      `SELECT currency, sum(credits_posted - debits_posted - debits_pending)::text AS available,
              sum(credits_pending)::text AS pending
         FROM ledger_accounts WHERE id LIKE $1 GROUP BY currency ORDER BY currency`,
      [`${account.replace(/[%_\\]/g, '\\$&')}:balance:%`],
    )
    return rows.map((r) => ({
      currency: r.currency,
      available: Number(r.available),
      pending: Number(r.pending),
    }))
  }
}
