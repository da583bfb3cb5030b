/**
 * Events: every state change of an object is an `event` object (Stripe's shape), written in the
 * transaction of the change, and, for each webhook endpoint of the account that wants its type,
 * a delivery job enqueued in that same transaction (platform/jobs): an event exists, and is
 * delivered, if and only if its change committed.
 */
import type { Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import { newId, nowSeconds, type ObjectStore, type StripeObject } from './objects.store.js'

export const WEBHOOK_QUEUE = 'payments.webhooks'
export const DELIVER_TASK = 'payments.deliver-webhook'
/** The API version events and endpoints report (stripe-node's pinned version when written). */
export const API_VERSION = '2026-11-18.endive'

export interface DeliveryPayload {
  account: string
  endpoint: string
  event: string
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
    for (const e of endpoints) {
      const payload: DeliveryPayload = { account, endpoint: e.id, event: event.id }
      // Grouped by endpoint: one endpoint's deliveries never starve another's.
      await this.jobs.addJob(tx, WEBHOOK_QUEUE, {
        task: DELIVER_TASK,
        payload,
        maxAttempts: this.maxAttempts,
        groupKey: e.id,
      })
    }
    return event
  }
}
