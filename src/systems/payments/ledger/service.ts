/**
 * The ledger's domain: accounts and transfers over the store port, with every transfer going
 * through the group-commit batcher. It checks what the database cannot say well (an account
 * created again with other fields) and turns refusals into errors for single requests.
 */
import { isCurrency } from './currencies.js'
import { LedgerErrors } from './errors.js'
import type {
  Account,
  AccountFlags,
  Discrepancy,
  LedgerStore,
  Transfer,
  TransferRequest,
  TransferResult,
} from './ports.js'

/** What a transfer submitter needs: the batcher, or the store directly in tests. */
export interface TransferSubmitter {
  submit(transfers: readonly TransferRequest[]): Promise<TransferResult[]>
}

export class LedgerService {
  constructor(
    private readonly store: LedgerStore,
    private readonly submitter: TransferSubmitter,
  ) {}

  /** Create an account; the same id with the same currency and flags returns it (created: false). */
  async createAccount(a: { id: string; currency: string; flags: AccountFlags }) {
    if (!isCurrency(a.currency)) throw new Error(`unchecked currency ${a.currency}`)
    const out = await this.store.createAccount(a)
    if (!out.created && (out.account.currency !== a.currency || out.account.flags !== a.flags))
      throw LedgerErrors.accountExists(a.id)
    return out
  }

  async getAccount(id: string): Promise<Account> {
    const a = await this.store.getAccount(id)
    if (!a) throw LedgerErrors.accountNotFound(id)
    return a
  }

  /** Apply a request's transfers (validated); one result per transfer, in order. */
  createTransfers(transfers: readonly TransferRequest[]): Promise<TransferResult[]> {
    return this.submitter.submit(transfers)
  }

  /** Apply one transfer and return it as stored; a refusal throws its error. */
  async createTransfer(t: TransferRequest): Promise<{ transfer: Transfer; created: boolean }> {
    const [result] = await this.submitter.submit([t])
    if (result !== 'ok' && result !== 'exists') throw LedgerErrors.refused(result!, t.id)
    return { transfer: await this.getTransfer(t.id), created: result === 'ok' }
  }

  async getTransfer(id: string): Promise<Transfer> {
    const [t] = await this.store.getTransfers([id])
    if (t?.result !== 'ok') throw LedgerErrors.transferNotFound(id)
    return t
  }

  listTransfers(accountId: string, limit: number): Promise<Transfer[]> {
    return this.store.listTransfers(accountId, limit)
  }

  /** Balances that differ from the sums of their transfers (empty: reconciled). */
  reconcile(): Promise<Discrepancy[]> {
    return this.store.reconcile()
  }
}
