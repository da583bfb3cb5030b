/** The ledger's errors: each refusal of a transfer has its HTTP status and a PAYMENTS_LEDGER_* code. */
import { AppError, type InvalidParam, invalidParams } from '../../../platform/errors.js'
import type { TransferResult } from './ports.js'

/** HTTP status of each refusal when a single transfer is created (a batch answers 200 with results). */
const STATUS: Record<Exclude<TransferResult, 'ok' | 'exists'>, number> = {
  exists_with_different_fields: 409,
  linked_event_failed: 422,
  linked_event_chain_open: 400,
  debit_account_not_found: 404,
  credit_account_not_found: 404,
  accounts_must_have_the_same_currency: 422,
  transfer_must_have_the_same_currency_as_accounts: 422,
  exceeds_credits: 422,
  exceeds_debits: 422,
  overflow: 422,
  pending_transfer_not_found: 404,
  pending_transfer_not_pending: 422,
  pending_transfer_has_different_debit_account_id: 422,
  pending_transfer_has_different_credit_account_id: 422,
  pending_transfer_has_different_currency: 422,
  pending_transfer_has_different_amount: 422,
  pending_transfer_already_posted: 409,
  pending_transfer_already_voided: 409,
  pending_transfer_expired: 409,
  exceeds_pending_transfer_amount: 422,
}

const MESSAGES: Partial<Record<TransferResult, string>> = {
  exists_with_different_fields: 'a transfer with this id exists with other fields (ids are never reused)',
  exceeds_credits: 'the debit account would have more debits than credits (its balance limit)',
  exceeds_debits: 'the credit account would have more credits than debits (its balance limit)',
  overflow: 'a balance would exceed 2^63 - 1',
  accounts_must_have_the_same_currency: 'the debit and credit accounts hold different currencies',
  transfer_must_have_the_same_currency_as_accounts: "the transfer's currency is not the accounts' currency",
  pending_transfer_expired: 'the pending transfer passed its timeout; its amount was (or is being) released',
  exceeds_pending_transfer_amount: 'the amount posted is more than the pending amount',
}

export const LedgerErrors = {
  /** A transfer the ledger refused, with TigerBeetle's name for why. */
  refused: (result: Exclude<TransferResult, 'ok' | 'exists'>, id: string) =>
    new AppError(
      `PAYMENTS_LEDGER_${result.toUpperCase()}`,
      STATUS[result],
      `transfer ${id}: ${MESSAGES[result] ?? result.replaceAll('_', ' ')}`,
      { extensions: { result } },
    ),
  invalid: (params: InvalidParam[]) => invalidParams('PAYMENTS_LEDGER_INVALID', 400, params),
  accountNotFound: (id: string) =>
    new AppError('PAYMENTS_LEDGER_ACCOUNT_NOT_FOUND', 404, `no ledger account ${id}`),
  transferNotFound: (id: string) =>
    new AppError('PAYMENTS_LEDGER_TRANSFER_NOT_FOUND', 404, `no transfer ${id}`),
  accountExists: (id: string) =>
    new AppError(
      'PAYMENTS_LEDGER_ACCOUNT_EXISTS',
      409,
      `account ${id} exists with another currency or other flags (ids are never reused)`,
    ),
}
