/**
 * Events: every state change of an object is an `event` object (Stripe's shape), written in the
 * transaction of the change, and, for each webhook endpoint of the account that wants its type,
 * a delivery row (sql/0009) and a delivery job for the stream (endpoint, object) enqueued in that
 * same transaction (platform/jobs): an event exists, and is delivered, if and only if its change
 * committed; the events of one object reach an endpoint in the order they were written.
 */
import type { Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import { newId, nowSeconds, type ObjectStore, type StripeObject } from './objects.store.js'

export const WEBHOOK_QUEUE = 'payments.webhooks'
export const DELIVER_TASK = 'payments.deliver-webhook'
/** The API version events and endpoints report (stripe-node's pinned version when written). */
export const API_VERSION = '2026-11-18.endive'

/** A delivery job: the open deliveries of one object to one endpoint, in order. */
export interface DeliveryPayload {
  account: string
  endpoint: string
  object: string
}

/** Enqueue the delivery job of a stream (a waiting one for the same stream is enough). */
export function enqueueDelivery(
  jobs: SystemJobs,
  tx: Queryable,
  payload: DeliveryPayload,
  maxAttempts: number,
) {
  return jobs.addJob(tx, WEBHOOK_QUEUE, {
    task: DELIVER_TASK,
    payload,
    maxAttempts,
    key: `wh:${payload.endpoint}:${payload.object}`,
    keyMode: 'keep',
    // Grouped by endpoint: one endpoint's deliveries never starve another's.
    groupKey: payload.endpoint,
  })
}

/** What a request knows about itself, copied into its events (`request.idempotency_key`). */
export interface RequestInfo {
  id: string | null
  idempotencyKey: string | null
}

export class Events {
  constructor(
    private readonly objects: ObjectStore,
    private readonly jobs: SystemJobs,
    private readonly maxAttempts: number,
  ) {}

  /** Record `type` about `object` and enqueue its webhook deliveries, in `tx`. */
  async emit(
    tx: Queryable,
    account: string,
    type: string,
    object: StripeObject,
    request: RequestInfo,
    previous?: Record<string, unknown>,
  ): Promise<StripeObject> {
    const { rows } = await tx.query<{ id: string; events: string[] }>(
      `SELECT id, data->'enabled_events' AS events FROM stripe_objects
        WHERE account_id = $1 AND type = 'webhook_endpoint' AND NOT deleted AND data->>'status' = 'enabled'
        ORDER BY seq`,
      [account],
    )
    const endpoints = rows.filter((r) => r.events.includes('*') || r.events.includes(type))
    const event: StripeObject = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: nowSeconds(),
      data: { object, ...(previous && { previous_attributes: previous }) },
      livemode: false,
      pending_webhooks: endpoints.length,
      request: { id: request.id, idempotency_key: request.idempotencyKey },
      type,
    }
    await this.objects.insert(tx, account, event)
    const objectId = String(object.id)
    for (const e of endpoints) {
      await tx.query(
        `INSERT INTO stripe_webhook_deliveries (account_id, endpoint_id, object_id, event_id) VALUES ($1, $2, $3, $4)`,
        [account, e.id, objectId, event.id],
      )
      // Each delivery counts its own attempts against maxAttempts (webhooks.ts); the stream's job
      // gets more, as it also retries while another worker holds the stream.
      await enqueueDelivery(
        this.jobs,
        tx,
        { account, endpoint: e.id, object: objectId },
        this.maxAttempts * 4,
      )
    }
    return event
  }
}
