/**
 * The payments calls this page makes: the Stripe-shaped API at `/v1` (form-encoded bodies, the
 * secret key as a bearer token, Stripe's error object) and the ledger's transfers under
 * `/payments/ledger` (problem+json). Both are the system's public routes (its README).
 */
import { ApiError, CONSOLE_CLIENT_HEADER, requestJson } from '../../api/http'
import { readStored } from '../../ui/storage'

export const KEY_STORAGE = 'blueprints.payments.secretKey'

/** Stripe's error object, as `/v1` refuses. */
export interface StripeError {
  type: string
  code?: string
  decline_code?: string
  message?: string
  param?: string
  payment_intent?: PaymentIntent
}

/** A refusal of `/v1`: its Stripe error, and the message to show. */
export class StripeApiError extends ApiError {
  constructor(
    message: string,
    status: number,
    readonly stripe: StripeError | undefined,
  ) {
    super('http', message, status)
  }
}

export interface PaymentIntent {
  id: string
  object: 'payment_intent'
  amount: number
  amount_received: number
  amount_capturable: number
  currency: string
  status: string
  capture_method: 'automatic' | 'manual'
  payment_method: string | null
  created: number
  client_secret?: string
  last_payment_error: { code?: string; decline_code?: string; message?: string } | null
  next_action: { type: string; redirect_to_url?: { url: string; return_url: string } } | null
  latest_charge: string | null
}

export interface StripeEvent {
  id: string
  type: string
  created: number
  data: { object: { id: string; object: string; payment_intent?: string | null; status?: string } }
}

export interface Balance {
  available: { amount: number; currency: string }[]
  pending: { amount: number; currency: string }[]
}

export interface WebhookEndpoint {
  id: string
  url: string
  enabled_events: string[]
  status: string
  secret?: string
}

export interface StripeList<T> {
  object: 'list'
  data: T[]
  has_more: boolean
}

/** The ledger's transfer as `/payments/ledger/transfers/{id}` answers (amounts as strings). */
export interface LedgerTransfer {
  id: string
  type: string
  debitAccountId: string
  creditAccountId: string
  amount: string
  currency: string
  state?: string
  pendingId?: string | null
  createdAt?: string
}

/** Call `/v1` with the stored secret key; `form` is sent form-encoded (POST). */
export async function stripe<T>(
  path: string,
  opts: { method?: string; form?: Record<string, string>; signal?: AbortSignal; key?: string } = {},
): Promise<T> {
  const key = opts.key ?? readStored(KEY_STORAGE) ?? ''
  const method = opts.method ?? (opts.form ? 'POST' : 'GET')
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${key}` }
  if (method === 'GET') headers[CONSOLE_CLIENT_HEADER[0]] = CONSOLE_CLIENT_HEADER[1]
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded'
  let res: Response
  try {
    res = await fetch(`/v1${path}`, {
      method,
      headers,
      body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
      signal: opts.signal,
    })
  } catch {
    throw new ApiError('network', `The server did not answer /v1${path}: is it running?`)
  }
  const body: unknown = await res.json().catch(() => undefined)
  if (res.ok) return body as T
  const error = (body as { error?: StripeError } | undefined)?.error
  const reason = error?.decline_code ?? error?.code
  const message = error?.message
    ? `${error.message}${reason ? ` (${reason})` : ''}`
    : `${res.status} ${res.statusText || 'error'} from /v1${path}`
  throw new StripeApiError(message, res.status, error)
}

/** Stripe's test payment methods this page offers, by what they do. */
export const TEST_CARDS = [
  { id: 'pm_card_visa', label: 'Visa 4242: succeeds', outcome: 'success' },
  { id: 'pm_card_mastercard', label: 'Mastercard 4444: succeeds', outcome: 'success' },
  { id: 'pm_card_chargeDeclined', label: 'Visa 0002: declined', outcome: 'decline' },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    label: 'Visa 9995: insufficient funds',
    outcome: 'decline',
  },
  { id: 'pm_card_threeDSecure2Required', label: 'Visa 3220: asks for 3-D Secure', outcome: '3ds' },
] as const

export interface NewPayment {
  amount: number
  currency: string
  paymentMethod: string
  captureMethod: 'automatic' | 'manual'
  /** Where the 3-D Secure page sends the browser back. */
  returnUrl: string
}

/**
 * Create and confirm a PaymentIntent in one call. A declined card is an answer, not a failure: the
 * 402's PaymentIntent comes back with the decline.
 */
export async function createPayment(p: NewPayment): Promise<{ intent: PaymentIntent; declined?: string }> {
  try {
    const intent = await stripe<PaymentIntent>('/payment_intents', {
      form: {
        amount: String(p.amount),
        currency: p.currency,
        payment_method: p.paymentMethod,
        capture_method: p.captureMethod,
        confirm: 'true',
        return_url: p.returnUrl,
        description: 'console test payment',
      },
    })
    return { intent }
  } catch (err) {
    if (err instanceof StripeApiError && err.status === 402 && err.stripe?.payment_intent)
      return { intent: err.stripe.payment_intent, declined: err.message }
    throw err
  }
}

/** The newest PaymentIntents. */
export function listPayments(signal?: AbortSignal): Promise<StripeList<PaymentIntent>> {
  return stripe('/payment_intents?limit=10', { signal })
}

/** The newest events (any object): the page keeps those of one PaymentIntent. */
export function listEvents(signal?: AbortSignal): Promise<StripeList<StripeEvent>> {
  return stripe('/events?limit=100', { signal })
}

/** Whether `e` is about PaymentIntent `pi` (itself, or its charges and refunds). */
export function concerns(e: StripeEvent, pi: string): boolean {
  const o = e.data.object
  return o.id === pi || o.payment_intent === pi
}

/** Capture an authorized PaymentIntent (all of it). */
export function capturePayment(id: string): Promise<PaymentIntent> {
  return stripe(`/payment_intents/${encodeURIComponent(id)}/capture`, { form: {} })
}

/** Cancel a PaymentIntent (an authorization is released). */
export function cancelPayment(id: string): Promise<PaymentIntent> {
  return stripe(`/payment_intents/${encodeURIComponent(id)}/cancel`, { form: {} })
}

/** Refund a PaymentIntent in full. */
export function refundPayment(id: string): Promise<{ id: string; status: string }> {
  return stripe('/refunds', { form: { payment_intent: id } })
}

/** The account's balance per currency. */
export function getBalance(signal?: AbortSignal): Promise<Balance> {
  return stripe('/balance', { signal })
}

/** The account's webhook endpoints. */
export function listEndpoints(signal?: AbortSignal): Promise<StripeList<WebhookEndpoint>> {
  return stripe('/webhook_endpoints?limit=100', { signal })
}

/** A webhook endpoint for every event type; its signing secret is only in this answer. */
export function createEndpoint(url: string): Promise<WebhookEndpoint> {
  return stripe('/webhook_endpoints', { form: { url, 'enabled_events[]': '*' } })
}

/**
 * The ledger transfers a PaymentIntent made. Their ids derive from the PaymentIntent's (the
 * charge, or an authorization and its capture or void) and its refunds' ids, so each step is
 * looked up by id; the steps it did not take answer 404 and are left out.
 */
export async function ledgerTransfers(pi: string, signal?: AbortSignal): Promise<LedgerTransfer[]> {
  // A refund's transfer carries the refund's id.
  const refunds = await stripe<StripeList<{ id: string }>>(
    `/refunds?limit=100&payment_intent=${encodeURIComponent(pi)}`,
    { signal },
  )
  const ids = [
    ...['charge', 'auth', 'capture', 'void'].map((s) => `${pi}:${s}`),
    ...refunds.data.map((r) => r.id),
  ]
  const found = await Promise.all(
    ids.map((id) =>
      requestJson<LedgerTransfer>(`/payments/ledger/transfers/${encodeURIComponent(id)}`, {
        signal,
      }).catch((err) => {
        if (err instanceof ApiError && err.status === 404) return undefined
        throw err
      }),
    ),
  )
  return found.filter((t): t is LedgerTransfer => t !== undefined)
}

/** `minor` units of `currency` as `20.00 USD` (two decimals; zero-decimal currencies as they are). */
export function formatMoney(minor: number, currency: string): string {
  const zeroDecimal = ['jpy', 'krw', 'vnd', 'clp', 'isk', 'ugx', 'xaf', 'xof'].includes(currency)
  return `${zeroDecimal ? String(minor) : (minor / 100).toFixed(2)} ${currency.toUpperCase()}`
}
