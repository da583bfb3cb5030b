/**
 * Transfer requests as the API takes them (JSON, already shape-checked by the route schema),
 * turned into validated `TransferRequest`s. Every problem is a 400 naming its field
 * (`transfers[3].amount`), so that a bad request never reaches the database.
 */
import type { InvalidParam } from '../../../platform/errors.js'
import { parseAmount } from './amounts.js'
import { isCurrency } from './currencies.js'
import { LedgerErrors } from './errors.js'
import type { TransferKind, TransferRequest } from './ports.js'

/** The body of one transfer in the API. */
export interface TransferBody {
  id: string
  type?: TransferKind
  debitAccountId?: string
  creditAccountId?: string
  amount?: unknown
  currency?: string
  pendingId?: string
  timeoutSeconds?: number
  linked?: boolean
}

/** Ids of accounts and transfers: the client's, so that a retry names the same transfer. */
export const ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$'
/** The longest pending timeout: a year. */
export const MAX_TIMEOUT_SECONDS = 31_536_000

/** Check a currency as the API takes it; the reason when it is not one. */
export function currencyProblem(raw: string): string | undefined {
  return isCurrency(raw)
    ? undefined
    : 'must be a lower-case ISO 4217 currency code the ledger knows (usd, eur, ...)'
}

function check(b: TransferBody, at: string, out: InvalidParam[]): TransferRequest {
  const kind = b.type ?? 'single'
  const bad = (field: string, reason: string) => out.push({ name: `${at}${field}`, reason })
  let amount: bigint | undefined
  if (b.amount !== undefined) {
    const a = parseAmount(b.amount)
    if (a.ok) amount = a.value
    else bad('amount', a.reason)
  }
  if (b.currency !== undefined) {
    const p = currencyProblem(b.currency)
    if (p) bad('currency', p)
  }
  if (kind === 'single' || kind === 'pending') {
    if (b.debitAccountId === undefined) bad('debitAccountId', 'is required')
    if (b.creditAccountId === undefined) bad('creditAccountId', 'is required')
    if (b.debitAccountId !== undefined && b.debitAccountId === b.creditAccountId)
      bad('creditAccountId', 'must differ from debitAccountId')
    if (b.amount === undefined) bad('amount', 'is required')
    if (b.currency === undefined) bad('currency', 'is required')
    if (b.pendingId !== undefined) bad('pendingId', `is only for type post or void, not ${kind}`)
    if (kind === 'single' && b.timeoutSeconds !== undefined) bad('timeoutSeconds', 'is only for type pending')
  } else {
    if (b.pendingId === undefined) bad('pendingId', `is required for type ${kind}`)
    if (b.timeoutSeconds !== undefined) bad('timeoutSeconds', 'is only for type pending')
  }
  return {
    id: b.id,
    kind,
    ...(b.debitAccountId !== undefined && { debitAccountId: b.debitAccountId }),
    ...(b.creditAccountId !== undefined && { creditAccountId: b.creditAccountId }),
    ...(amount !== undefined && { amount }),
    ...(b.currency !== undefined && { currency: b.currency }),
    ...(b.pendingId !== undefined && { pendingId: b.pendingId }),
    ...(b.timeoutSeconds !== undefined && { timeoutSeconds: b.timeoutSeconds }),
    ...(b.linked !== undefined && { linked: b.linked }),
  }
}

/** Validate one request's transfers (`prefix` names them in errors); throws a 400 listing every problem. */
export function parseTransfers(
  bodies: readonly TransferBody[],
  prefix: string | undefined,
): TransferRequest[] {
  const problems: InvalidParam[] = []
  const seen = new Set<string>()
  const out = bodies.map((b, i) => {
    const at = prefix === undefined ? '' : `${prefix}[${i}].`
    if (seen.has(b.id)) problems.push({ name: `${at}id`, reason: 'appears twice in the request' })
    seen.add(b.id)
    return check(b, at, problems)
  })
  const last = bodies.at(-1)
  if (last?.linked)
    problems.push({
      name: prefix === undefined ? 'linked' : `${prefix}[${bodies.length - 1}].linked`,
      reason: 'must not be true on the last transfer of a request (it would chain to nothing)',
    })
  if (problems.length > 0) throw LedgerErrors.invalid(problems)
  return out
}
