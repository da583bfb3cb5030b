/**
 * Stripe's error object (`{error: {type, code, message, param, ...}}`) and the errors this API
 * raises, with Stripe's types, codes and statuses, so that stripe-node maps them to the same
 * classes it would against Stripe (StripeInvalidRequestError, StripeCardError, ...).
 */
import { AppError } from '../../../platform/errors.js'

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error'

export interface StripeErrorBody {
  type: StripeErrorType
  message: string
  code?: string
  param?: string
  decline_code?: string
  doc_url?: string
  [extra: string]: unknown
}

/** A refusal rendered as Stripe's error object with `status`. */
export class StripeError extends Error {
  override name = 'StripeError'
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message)
  }
}

const invalid = (status: number, message: string, code?: string, param?: string, extra = {}) =>
  new StripeError(status, {
    type: 'invalid_request_error',
    message,
    ...(code && { code, doc_url: `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}` }),
    ...(param && { param }),
    ...extra,
  })

export const StripeErrors = {
  missingKey: () =>
    invalid(
      401,
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    ),
  invalidKey: (key: string) =>
    invalid(
      401,
      `Invalid API Key provided: ${key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(4)}${key.slice(-4)}` : '****'}`,
    ),
  missingParam: (param: string) =>
    invalid(400, `Missing required param: ${param}.`, 'parameter_missing', param),
  unknownParam: (param: string) =>
    invalid(400, `Received unknown parameter: ${param}`, 'parameter_unknown', param),
  invalidInteger: (param: string, value: string) =>
    invalid(400, `Invalid integer: ${value.slice(0, 40)}`, 'parameter_invalid_integer', param),
  invalidString: (param: string, why: string) =>
    invalid(400, `Invalid ${param}: ${why}`, 'parameter_invalid_string_blank', param),
  invalidValue: (param: string, message: string) => invalid(400, message, 'parameter_invalid_empty', param),
  invalidEnum: (param: string, value: string, allowed: readonly string[]) =>
    invalid(
      400,
      `Invalid ${param}: must be one of ${allowed.join(', ')} (got ${value.slice(0, 40)})`,
      undefined,
      param,
    ),
  invalidCurrency: (value: string) =>
    invalid(
      400,
      `Invalid currency: ${value.slice(0, 20)}. Use a lowercase ISO 4217 code such as usd or eur.`,
      undefined,
      'currency',
    ),
  amountTooSmall: (param: string, min: number) =>
    invalid(
      400,
      `Amount must be at least ${min} in the currency's smallest unit.`,
      'amount_too_small',
      param,
    ),
  amountTooLarge: (param: string, max: number) =>
    invalid(
      400,
      `Amount must be no more than ${max} in the currency's smallest unit.`,
      'amount_too_large',
      param,
    ),
  resourceMissing: (what: string, id: string, param = 'id') =>
    invalid(404, `No such ${what}: '${id.slice(0, 100)}'`, 'resource_missing', param),
  unexpectedState: (message: string, extra = {}) =>
    invalid(400, message, 'payment_intent_unexpected_state', undefined, extra),
  balanceInsufficient: (message = 'Your balance is insufficient to make this refund.') =>
    invalid(400, message, 'balance_insufficient'),
  /** A request that makes no sense in the object's state (Stripe answers these without a code). */
  invalidState: (message: string) => invalid(400, message),
  chargeAlreadyRefunded: (id: string) =>
    invalid(400, `Charge ${id} has already been refunded.`, 'charge_already_refunded'),
  idempotencyMismatch: (key: string) =>
    new StripeError(400, {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key.slice(0, 100)}' if you meant to execute a different request.`,
    }),
  idempotencyInUse: (key: string) =>
    invalid(
      409,
      `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key.slice(0, 100)}. Please try again later.`,
      'idempotency_key_in_use',
    ),
  malformedBody: (why: string) => invalid(400, `Invalid request body: ${why}`),
  badContentType: () =>
    invalid(
      400,
      'Invalid request: send the parameters form-encoded (application/x-www-form-urlencoded), as Stripe takes them.',
    ),
  unknownUrl: (method: string, url: string) =>
    invalid(404, `Unrecognized request URL (${method}: ${url.split('?')[0]!.slice(0, 200)}).`),
}

/** Anything thrown in a /v1 request, as Stripe's error object and its status. */
export function toStripeError(err: unknown): StripeError {
  if (err instanceof StripeError) return err
  if (err instanceof AppError && err.status < 500) {
    const params = err.extensions.invalidParams as { name: string }[] | undefined
    return invalid(err.status, err.message, undefined, params?.[0]?.name)
  }
  const status = (err as { statusCode?: number }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return invalid(413, 'Request body too large.')
    if (status === 415) return StripeErrors.badContentType()
    return invalid(status, (err as Error).message ?? 'Invalid request')
  }
  return new StripeError(500, {
    type: 'api_error',
    message: 'An unexpected error occurred; it is safe to retry with the same Idempotency-Key.',
  })
}
