/**
 * PaymentIntents rebuilt from their events. Every write of a PaymentIntent appends a
 * `payment_intent_change` with the state it produced (objects.store.ts), in the transaction of
 * the change, ordered by the table's sequence; a PaymentIntent is the last state of its changes.
 * `paymentIntentDrift` lists the stored PaymentIntents that differ from that fold (none, unless
 * something wrote the table behind the API); `rebuildPaymentIntents` writes the fold back over
 * them, which is how a damaged or lost projection is recovered.
 */
import type { Queryable } from '../../../platform/db/port.js'

/** The last change of each PaymentIntent (of `account`, or of every account). */
const LATEST = `SELECT DISTINCT ON (data->>'payment_intent') account_id, data->>'payment_intent' AS id,
                       data->'state' AS state
                  FROM stripe_objects
                 WHERE type = 'payment_intent_change' AND ($1::text IS NULL OR account_id = $1)
                 ORDER BY data->>'payment_intent', seq DESC`

/** Ids of the PaymentIntents whose stored state is not the fold of their changes. */
export async function paymentIntentDrift(on: Queryable, account?: string): Promise<string[]> {
  const { rows } = await on.query<{ id: string }>(
    `WITH latest AS (${LATEST})
     SELECT l.id FROM latest l LEFT JOIN stripe_objects o
         ON o.id = l.id AND o.account_id = l.account_id AND o.type = 'payment_intent'
      WHERE o.data IS DISTINCT FROM l.state ORDER BY l.id`,
    [account ?? null],
  )
  return rows.map((r) => r.id)
}

/** Write the fold of their changes over the PaymentIntents that differ; returns their ids. */
export async function rebuildPaymentIntents(on: Queryable, account?: string): Promise<string[]> {
  const { rows } = await on.query<{ id: string }>(
    `WITH latest AS (${LATEST})
     UPDATE stripe_objects o SET data = l.state FROM latest l
      WHERE o.id = l.id AND o.account_id = l.account_id AND o.type = 'payment_intent'
        AND o.data IS DISTINCT FROM l.state
     RETURNING o.id`,
    [account ?? null],
  )
  return rows.map((r) => r.id).sort()
}
