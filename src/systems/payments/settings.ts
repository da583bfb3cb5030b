/** The payments system's environment variables (validated at boot with the platform's). */
import { int, optional, str } from '../../platform/settings.js'

export const settings = {
  PAYMENTS_API_TOKEN: optional(
    str({
      maxLength: 200,
      doc: 'bearer token every /payments route requires (Authorization: Bearer <token>); unset: those routes are open',
    }),
  ),
  PAYMENTS_LEDGER_MAX_BATCH: int({
    default: 2000,
    min: 1,
    max: 10_000,
    doc: 'transfers per ledger batch (one transaction, one round trip) at most',
  }),
  PAYMENTS_LEDGER_MAX_IN_FLIGHT: int({
    default: 2,
    min: 1,
    max: 64,
    doc: 'ledger batches in the database at once per process',
  }),
  PAYMENTS_LEDGER_EXPIRE_BATCH: int({
    default: 1000,
    min: 1,
    max: 100_000,
    doc: 'pending transfers one run of the expiry job releases at most',
  }),
}
