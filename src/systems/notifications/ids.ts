/** Identifiers: triggers get random ids; a delivery's id is derived from what makes it unique. */
import { createHash, randomBytes } from 'node:crypto'

/** A new trigger's id (`txn_` + 20 random bytes, base32-ish). */
export const newTransactionId = () => `txn_${randomBytes(15).toString('base64url')}`

/**
 * The id of the delivery of step `step` of trigger `transaction` to `subscriber`: the same
 * inputs always give the same id, which is the idempotency key receivers see (webhook-id,
 * Message-ID, the inbox message's id, the push payload's id).
 */
export const deliveryId = (transaction: string, subscriber: string, step: number) =>
  `msg_${createHash('sha256').update(`${transaction}\n${subscriber}\n${step}`).digest('base64url').slice(0, 27)}`

/** A stable digest of a request body, to tell a retried trigger from another one reusing its key. */
export const requestHash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex')
