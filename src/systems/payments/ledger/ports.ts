/** The ledger's vocabulary and the store port its service depends on. */
import type { Queryable } from '../../../platform/db/port.js'

export type AccountFlags = 'none' | 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits'

/** Flag values as stored (ledger_accounts.flags). */
export const FLAG_CODES: Record<AccountFlags, number> = {
  none: 0,
  debits_must_not_exceed_credits: 1,
  credits_must_not_exceed_debits: 2,
}

export interface Account {
  id: string
  currency: string
  flags: AccountFlags
  debitsPending: bigint
  debitsPosted: bigint
  creditsPending: bigint
  creditsPosted: bigint
  createdAt: string
}

export interface NewAccount {
  id: string
  currency: string
  flags: AccountFlags
}

export type TransferKind = 'single' | 'pending' | 'post' | 'void'

/** A transfer as the service hands it to the store: validated, amounts as bigint. */
export interface TransferRequest {
  id: string
  kind: TransferKind
  debitAccountId?: string
  creditAccountId?: string
  /** Absent only for post (the whole pending amount) and void. */
  amount?: bigint
  currency?: string
  pendingId?: string
  /** Pending transfers: seconds until it expires; 0 never. */
  timeoutSeconds?: number
  /** Chains this transfer to the next one of the batch: all of the chain commit, or none. */
  linked?: boolean
}

/**
 * What the ledger answers for one transfer: `ok`, `exists` (the same id and body were already
 * applied: nothing happened now) or one of TigerBeetle's error names.
 */
export type TransferResult =
  | 'ok'
  | 'exists'
  | 'exists_with_different_fields'
  | 'linked_event_failed'
  | 'linked_event_chain_open'
  | 'debit_account_not_found'
  | 'credit_account_not_found'
  | 'accounts_must_have_the_same_currency'
  | 'transfer_must_have_the_same_currency_as_accounts'
  | 'exceeds_credits'
  | 'exceeds_debits'
  | 'overflow'
  | 'pending_transfer_not_found'
  | 'pending_transfer_not_pending'
  | 'pending_transfer_has_different_debit_account_id'
  | 'pending_transfer_has_different_credit_account_id'
  | 'pending_transfer_has_different_currency'
  | 'pending_transfer_has_different_amount'
  | 'pending_transfer_already_posted'
  | 'pending_transfer_already_voided'
  | 'pending_transfer_expired'
  | 'exceeds_pending_transfer_amount'

export type PendingState = 'pending' | 'posted' | 'voided' | 'expired'

export interface Transfer {
  id: string
  kind: TransferKind
  debitAccountId: string | null
  creditAccountId: string | null
  amount: bigint
  currency: string | null
  pendingId: string | null
  linked: boolean
  timeoutSeconds: number
  /** Pending transfers: where they are; others: 'done'. */
  state: PendingState | 'done'
  expiresAt: string | null
  /** 'ok', or the refusal remembered for this id. */
  result: TransferResult
  createdAt: string
}

/** One account whose stored balances differ from the sum of its transfers. */
export interface Discrepancy {
  accountId: string
  field: 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted'
  stored: bigint
  fromTransfers: bigint
}

export interface LedgerStore {
  /** Insert an account; an existing id is returned as it is (the caller compares). */
  createAccount(a: NewAccount): Promise<{ account: Account; created: boolean }>
  getAccount(id: string): Promise<Account | undefined>
  /**
   * Apply a batch in one statement (one transaction and one round trip on its own, or part of
   * the caller's transaction `on`); one result per element, in order.
   */
  createTransfers(batch: readonly TransferRequest[], on?: Queryable): Promise<TransferResult[]>
  getTransfers(ids: readonly string[]): Promise<Transfer[]>
  /** The account's transfers, newest first. */
  listTransfers(accountId: string, limit: number): Promise<Transfer[]>
  /** When the first pending transfer with a timeout expires (undefined: none). */
  nextExpiry(): Promise<Date | undefined>
  /** Release pending transfers past their timeout; how many. */
  expirePending(max: number): Promise<number>
  /** Accounts whose stored balances are not the sums of their transfers (empty: reconciled). */
  reconcile(): Promise<Discrepancy[]>
}
