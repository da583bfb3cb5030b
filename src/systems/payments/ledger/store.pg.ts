/**
 * The ledger on PostgreSQL. The write path is one call of `ledger_create_transfers` (sql/0002)
 * per batch: the batch travels as one JSON parameter, the function locks the accounts it
 * touches in id order and applies each transfer, and the batch commits as one transaction.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import {
  type Account,
  type AccountFlags,
  type Discrepancy,
  FLAG_CODES,
  type LedgerStore,
  type NewAccount,
  type Transfer,
  type TransferRequest,
  type TransferResult,
} from './ports.js'

const FLAG_NAMES: Record<number, AccountFlags> = {
  0: 'none',
  1: 'debits_must_not_exceed_credits',
  2: 'credits_must_not_exceed_debits',
}

interface AccountRow {
  id: string
  currency: string
  flags: number
  debits_pending: string
  debits_posted: string
  credits_pending: string
  credits_posted: string
  created_at: string
}

const ACCOUNT_COLUMNS = `id, currency, flags, debits_pending::text, debits_posted::text,
  credits_pending::text, credits_posted::text, to_json(created_at)#>>'{}' AS created_at`

function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    currency: r.currency,
    flags: FLAG_NAMES[r.flags] ?? 'none',
    debitsPending: BigInt(r.debits_pending),
    debitsPosted: BigInt(r.debits_posted),
    creditsPending: BigInt(r.credits_pending),
    creditsPosted: BigInt(r.credits_posted),
    createdAt: r.created_at,
  }
}

interface TransferRow {
  id: string
  kind: Transfer['kind']
  debit_account_id: string | null
  credit_account_id: string | null
  amount: string
  currency: string | null
  pending_id: string | null
  linked: boolean
  timeout_seconds: number
  state: Transfer['state']
  expires_at: string | null
  result: TransferResult
  created_at: string
}

const TRANSFER_COLUMNS = `id, kind, debit_account_id, credit_account_id, amount::text, currency, pending_id,
  linked, timeout_seconds, state, to_json(expires_at)#>>'{}' AS expires_at, result,
  to_json(created_at)#>>'{}' AS created_at`

function toTransfer(r: TransferRow): Transfer {
  return {
    id: r.id,
    kind: r.kind,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    amount: BigInt(r.amount),
    currency: r.currency,
    pendingId: r.pending_id,
    linked: r.linked,
    timeoutSeconds: r.timeout_seconds,
    state: r.state,
    expiresAt: r.expires_at,
    result: r.result,
    createdAt: r.created_at,
  }
}

/**
 * The JSON element the SQL function reads. Its text is hashed for idempotency, so every field is
 * always present (null when absent) and written in one order: the same request, the same hash.
 */
export function transferElement(t: TransferRequest): Record<string, unknown> {
  return {
    id: t.id,
    kind: t.kind,
    debit: t.debitAccountId ?? null,
    credit: t.creditAccountId ?? null,
    amount: t.amount === undefined ? null : t.amount.toString(),
    currency: t.currency ?? null,
    pending_id: t.pendingId ?? null,
    timeout: t.timeoutSeconds ?? 0,
    linked: t.linked ?? false,
  }
}

export class PgLedgerStore implements LedgerStore {
  constructor(private readonly db: Db) {}

  async createAccount(a: NewAccount): Promise<{ account: Account; created: boolean }> {
    const ins = await this.db.query<AccountRow>(
      `INSERT INTO ledger_accounts (id, currency, flags) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
      [a.id, a.currency, FLAG_CODES[a.flags]],
    )
    if (ins.rows[0]) return { account: toAccount(ins.rows[0]), created: true }
    const existing = await this.getAccount(a.id)
    // Deleted between the two statements cannot happen: accounts are never deleted.
    return { account: existing!, created: false }
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const { rows } = await this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1`,
      [id],
    )
    return rows[0] && toAccount(rows[0])
  }

  async createTransfers(
    batch: readonly TransferRequest[],
    on: Queryable = this.db,
  ): Promise<TransferResult[]> {
    if (batch.length === 0) return []
    const { rows } = await on.query<{ idx: number; result: TransferResult }>(
      'SELECT idx, result FROM ledger_create_transfers($1::jsonb)',
      [JSON.stringify(batch.map(transferElement))],
    )
    const out = new Array<TransferResult>(batch.length)
    for (const r of rows) out[Number(r.idx)] = r.result
    return out
  }

  async getTransfers(ids: readonly string[]): Promise<Transfer[]> {
    if (ids.length === 0) return []
    const { rows } = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY ($1::text[])`,
      [ids],
    )
    return rows.map(toTransfer)
  }

  async listTransfers(accountId: string, limit: number): Promise<Transfer[]> {
    const { rows } = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers
        WHERE result = 'ok' AND (debit_account_id = $1 OR credit_account_id = $1)
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [accountId, limit],
    )
    return rows.map(toTransfer)
  }

  async nextExpiry(): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ at: string | null }>(
      `SELECT to_json(min(expires_at))#>>'{}' AS at FROM ledger_transfers WHERE state = 'pending'`,
    )
    return rows[0]?.at ? new Date(rows[0].at) : undefined
  }

  async expirePending(max: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT ledger_expire_pending($1) AS n', [max])
    return Number(rows[0]?.n ?? 0)
  }

  async reconcile(): Promise<Discrepancy[]> {
    // Posted: single transfers and posts; pending: pending transfers still pending. Sums are
    // numeric so that the check itself cannot overflow.
    const { rows } = await this.db.query<{
      id: string
      field: Discrepancy['field']
      stored: string
      sum: string
    }>(
      `WITH sums AS (
         SELECT a.id,
           a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
           coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.result = 'ok' AND t.debit_account_id = a.id
                       AND t.kind = 'pending' AND t.state = 'pending'), 0) AS dp,
           coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.result = 'ok' AND t.debit_account_id = a.id
                       AND t.kind IN ('single', 'post')), 0) AS dd,
           coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.result = 'ok' AND t.credit_account_id = a.id
                       AND t.kind = 'pending' AND t.state = 'pending'), 0) AS cp,
           coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.result = 'ok' AND t.credit_account_id = a.id
                       AND t.kind IN ('single', 'post')), 0) AS cd
         FROM ledger_accounts a)
       SELECT id, f.field, f.stored::text AS stored, f.sum::text AS sum FROM sums,
         LATERAL (VALUES ('debitsPending', debits_pending::numeric, dp), ('debitsPosted', debits_posted::numeric, dd),
                         ('creditsPending', credits_pending::numeric, cp), ('creditsPosted', credits_posted::numeric, cd))
           f(field, stored, sum)
        WHERE f.stored <> f.sum
        ORDER BY id`,
    )
    return rows.map((r) => ({
      accountId: r.id,
      field: r.field,
      stored: BigInt(r.stored),
      fromTransfers: BigInt(r.sum),
    }))
  }
}
