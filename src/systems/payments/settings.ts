/** The payments system's environment variables (validated at boot with the platform's). */
import { int, list, oneOf, optional, str } from '../../platform/settings.js'

export const settings = {
  PAYMENTS_API_TOKEN: optional(
    str({
      maxLength: 200,
      doc: 'bearer token every /payments route requires (Authorization: Bearer <token>); unset: those routes are open',
    }),
  ),
  PAYMENTS_INITIAL_SECRET_KEY: optional(
    str({
      maxLength: 107,
      doc: 'a Stripe-style secret key (sk_test_ and 24 to 99 letters or digits) created at start for the /v1 API; its account is derived from it',
    }),
  ),
  PAYMENTS_LEDGER_MAX_BATCH: int({
    default: 2000,
    min: 1,
    max: 10_000,
    doc: 'transfers per ledger batch (one transaction, one round trip) at most',
  }),
  PAYMENTS_LEDGER_MAX_IN_FLIGHT: int({
    default: 4,
    min: 1,
    max: 64,
    doc: 'ledger batches in the database at once per process',
  }),
  PAYMENTS_BALANCE_SHARDS: int({
    default: 16,
    min: 1,
    max: 256,
    doc: "sub-accounts a merchant's incoming payments spread over (its balance is their sum); raise it, never lower it",
  }),
  PAYMENTS_LEDGER_EXPIRE_BATCH: int({
    default: 1000,
    min: 1,
    max: 100_000,
    doc: 'pending transfers one run of the expiry job releases at most',
  }),
  PAYMENTS_PAYOUT_DELAY_MS: int({
    default: 2_000,
    min: 0,
    max: 7 * 86_400_000,
    doc: 'how long the simulated bank takes to pay a payout (it can be canceled until then)',
  }),
  PAYMENTS_WEBHOOK_MAX_ATTEMPTS: int({
    default: 16,
    min: 1,
    max: 100,
    doc: 'delivery attempts of one event to one webhook endpoint before the job is dead',
  }),
  PAYMENTS_WEBHOOK_BACKOFF_BASE_MS: int({
    default: 5_000,
    min: 10,
    max: 3_600_000,
    doc: 'first retry delay of a failed webhook delivery (doubling per attempt)',
  }),
  PAYMENTS_WEBHOOK_BACKOFF_MAX_MS: int({
    default: 3_600_000,
    min: 10,
    max: 86_400_000,
    doc: 'longest delay between two webhook delivery attempts',
  }),
  PAYMENTS_WEBHOOK_TIMEOUT_MS: int({
    default: 10_000,
    min: 100,
    max: 120_000,
    doc: 'how long one webhook delivery may take before it counts as failed',
  }),
  PAYMENTS_WEBHOOK_ALLOWED_TARGETS: list({
    default: [],
    item: (v) => /^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(v),
    itemDoc: 'host:port',
    doc: 'webhook endpoint host:port pairs trusted although private (loopback in tests); others must be public addresses',
  }),
  PAYMENTS_SAGA_MAX_TRIES: int({
    default: 5,
    min: 1,
    max: 1000,
    doc: 'transient failures of one checkout saga step (acquirer timeouts, errors) before the saga gives up and compensates',
  }),
  PAYMENTS_SAGA_CRASH_AT: optional(
    oneOf(['reserve', 'authorize', 'capture', 'fulfil', 'release', 'void', 'refund'] as const, {
      doc: 'test hook: SIGKILL this process right after that saga step (or compensation) took effect, before it is recorded',
    }),
  ),
  PAYMENTS_ACQUIRER_LATENCY_MS: int({
    default: 0,
    min: 0,
    max: 60_000,
    doc: 'latency the simulated acquirer adds to every call',
  }),
  PAYMENTS_ACQUIRER_ERROR_PCT: int({
    default: 0,
    min: 0,
    max: 100,
    doc: 'simulated acquirer: % of calls answered with an error',
  }),
  PAYMENTS_ACQUIRER_TIMEOUT_PCT: int({
    default: 0,
    min: 0,
    max: 100,
    doc: 'simulated acquirer: % of calls that time out before taking effect',
  }),
  PAYMENTS_ACQUIRER_CHARGED_TIMEOUT_PCT: int({
    default: 0,
    min: 0,
    max: 100,
    doc: 'simulated acquirer: % of calls that time out after taking effect (the lost answer)',
  }),
  PAYMENTS_ACQUIRER_DUPLICATE_CALLBACK_PCT: int({
    default: 0,
    min: 0,
    max: 100,
    doc: 'simulated acquirer: % of settlement callbacks sent twice',
  }),
}
