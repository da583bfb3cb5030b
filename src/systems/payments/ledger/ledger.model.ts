/**
 * A reference model of the ledger in memory, written from the rules and not from the SQL: the
 * property tests run random batches through both and compare every result and balance.
 */
import type { AccountFlags, TransferRequest, TransferResult } from './ports.js'

interface ModelAccount {
  currency: string
  flags: AccountFlags
  debitsPending: bigint
  debitsPosted: bigint
  creditsPending: bigint
  creditsPosted: bigint
}

interface ModelTransfer {
  body: string
  result: TransferResult
  kind: TransferRequest['kind']
  debit?: string
  credit?: string
  amount: bigint
  currency?: string
  state: 'pending' | 'posted' | 'voided' | 'done'
}

export class LedgerModel {
  accounts = new Map<string, ModelAccount>()
  transfers = new Map<string, ModelTransfer>()

  addAccount(id: string, currency: string, flags: AccountFlags): void {
    this.accounts.set(id, {
      currency,
      flags,
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: 0n,
      creditsPosted: 0n,
    })
  }

  /** Apply a batch with the ledger's rules: chains all-or-none, refusals remembered by id. */
  apply(batch: readonly TransferRequest[]): TransferResult[] {
    const results: TransferResult[] = []
    let i = 0
    while (i < batch.length) {
      let end = i
      while (end < batch.length - 1 && batch[end]!.linked) end++
      const chain = batch.slice(i, end + 1)
      if (batch[end]!.linked) {
        for (const _ of chain) results.push('linked_event_chain_open')
        i = end + 1
        continue
      }
      const saved = this.snapshot()
      const out: TransferResult[] = []
      let failed = -1
      for (const [k, t] of chain.entries()) {
        const r = this.applyOne(t)
        out.push(r)
        if (r !== 'ok' && r !== 'exists') {
          failed = k
          break
        }
      }
      if (failed >= 0) {
        this.restore(saved)
        const code = out[failed]!
        for (let k = 0; k < chain.length; k++) results.push(k === failed ? code : 'linked_event_failed')
        const t = chain[failed]!
        if (code !== 'exists_with_different_fields' && !this.transfers.has(t.id))
          this.transfers.set(t.id, { body: bodyOf(t), result: code, kind: t.kind, amount: 0n, state: 'done' })
      } else results.push(...out)
      i = end + 1
    }
    return results
  }

  private applyOne(t: TransferRequest): TransferResult {
    const existing = this.transfers.get(t.id)
    if (existing) {
      if (existing.body !== bodyOf(t)) return 'exists_with_different_fields'
      return existing.result === 'ok' ? 'exists' : existing.result
    }
    if (t.kind === 'single' || t.kind === 'pending') {
      const d = this.accounts.get(t.debitAccountId!)
      if (!d) return 'debit_account_not_found'
      const c = this.accounts.get(t.creditAccountId!)
      if (!c) return 'credit_account_not_found'
      if (d.currency !== c.currency) return 'accounts_must_have_the_same_currency'
      if (d.currency !== t.currency) return 'transfer_must_have_the_same_currency_as_accounts'
      const amt = t.amount!
      if (
        d.flags === 'debits_must_not_exceed_credits' &&
        d.debitsPending + d.debitsPosted + amt > d.creditsPosted
      )
        return 'exceeds_credits'
      if (
        c.flags === 'credits_must_not_exceed_debits' &&
        c.creditsPending + c.creditsPosted + amt > c.debitsPosted
      )
        return 'exceeds_debits'
      if (t.kind === 'single') {
        d.debitsPosted += amt
        c.creditsPosted += amt
      } else {
        d.debitsPending += amt
        c.creditsPending += amt
      }
      this.transfers.set(t.id, {
        body: bodyOf(t),
        result: 'ok',
        kind: t.kind,
        debit: t.debitAccountId!,
        credit: t.creditAccountId!,
        amount: amt,
        currency: t.currency!,
        state: t.kind === 'pending' ? 'pending' : 'done',
      })
      return 'ok'
    }
    const p = this.transfers.get(t.pendingId!)
    if (p?.result !== 'ok') return 'pending_transfer_not_found'
    if (p.kind !== 'pending') return 'pending_transfer_not_pending'
    if (p.state === 'posted') return 'pending_transfer_already_posted'
    if (p.state === 'voided') return 'pending_transfer_already_voided'
    let amt = 0n
    if (t.kind === 'post') {
      amt = t.amount ?? p.amount
      if (amt > p.amount) return 'exceeds_pending_transfer_amount'
    } else if (t.amount !== undefined && t.amount !== p.amount) return 'pending_transfer_has_different_amount'
    const d = this.accounts.get(p.debit!)!
    const c = this.accounts.get(p.credit!)!
    d.debitsPending -= p.amount
    c.creditsPending -= p.amount
    d.debitsPosted += amt
    c.creditsPosted += amt
    p.state = t.kind === 'post' ? 'posted' : 'voided'
    this.transfers.set(t.id, { body: bodyOf(t), result: 'ok', kind: t.kind, amount: amt, state: 'done' })
    return 'ok'
  }

  private snapshot() {
    return {
      accounts: new Map([...this.accounts].map(([k, v]) => [k, { ...v }])),
      transfers: new Map([...this.transfers].map(([k, v]) => [k, { ...v }])),
    }
  }

  private restore(s: ReturnType<LedgerModel['snapshot']>): void {
    this.accounts = s.accounts
    this.transfers = s.transfers
  }
}

/** A transfer's identity for idempotency: every field the request carries, in one order. */
function bodyOf(t: TransferRequest): string {
  return JSON.stringify([
    t.kind,
    t.debitAccountId ?? null,
    t.creditAccountId ?? null,
    t.amount?.toString() ?? null,
    t.currency ?? null,
    t.pendingId ?? null,
    t.timeoutSeconds ?? 0,
    t.linked ?? false,
  ])
}
