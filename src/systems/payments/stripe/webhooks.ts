/**
 * Webhooks as Stripe sends them: endpoints registered through `/v1/webhook_endpoints` (the
 * signing secret `whsec_...` shown once, at creation), each event POSTed as JSON with
 * `Stripe-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of "t.body" with the secret>`, which
 * stripe-node's `stripe.webhooks.constructEvent` verifies. Deliveries are jobs of platform/jobs
 * enqueued with the event (events.ts): at least once, retried with exponential backoff while the
 * endpoint fails, through the guarded agent (platform/net: no private addresses unless allowed).
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Agent } from 'undici'
import { request as send } from 'undici'
import type { Db } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import type { TaskDefinition } from '../../../platform/jobs/types.js'
import type { Router, StripeDeps } from './api.js'
import { StripeErrors } from './errors.js'
import type { DeliveryPayload } from './events.js'
import { API_VERSION, enqueueDelivery } from './events.js'
import type { FormObject } from './form.js'
import { listPage } from './lists.js'
import { newId, nowSeconds, type ObjectStore, type StripeObject } from './objects.store.js'
import { bool, mergeMetadata, metadata, onlyParams, required, str } from './params.js'

/** The event types this API emits (and `*`): what enabled_events may name. */
export const EVENT_TYPES = [
  'charge.captured',
  'charge.failed',
  'charge.refunded',
  'charge.succeeded',
  'customer.created',
  'customer.deleted',
  'customer.updated',
  'payment_intent.amount_capturable_updated',
  'payment_intent.canceled',
  'payment_intent.created',
  'payment_intent.payment_failed',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  'refund.created',
  'payout.created',
  'payout.paid',
  'payout.canceled',
]

/** Stripe's signature header for `payload` sent at `t` (unix seconds). */
export function signatureHeader(secret: string, payload: string, t: number): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex')
  return `t=${t},v1=${v1}`
}

function urlParam(p: FormObject): string | undefined {
  const v = str(p, 'url', 2048)
  if (v === undefined) return undefined
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw StripeErrors.invalidValue('url', `Invalid URL: ${v.slice(0, 100)}`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw StripeErrors.invalidValue('url', 'Invalid URL: the scheme must be https or http')
  return v
}

function enabledEvents(p: FormObject): string[] | undefined {
  const v = p.enabled_events
  if (v === undefined) return undefined
  const list = Array.isArray(v) ? v : [v]
  if (list.length === 0) throw StripeErrors.missingParam('enabled_events')
  list.forEach((e, i) => {
    if (typeof e !== 'string' || (e !== '*' && !EVENT_TYPES.includes(e)))
      throw StripeErrors.invalidValue(
        `enabled_events[${i}]`,
        `Invalid enabled_events[${i}]: must be * or one of ${EVENT_TYPES.join(', ')}`,
      )
  })
  return list as string[]
}

/** The endpoint as GET shows it: without its secret. */
const publicView = ({ secret: _secret, ...rest }: StripeObject) => rest

export function webhookRoutes(deps: StripeDeps) {
  const { objects } = deps
  return (r: Router) => {
    r.post('/webhook_endpoints', 'Create a webhook endpoint', async (c, tx) => {
      const p = c.params
      onlyParams(p, ['url', 'enabled_events', 'description', 'metadata', 'api_version', 'connect', 'expand'])
      const endpoint: StripeObject = {
        id: newId('we'),
        object: 'webhook_endpoint',
        api_version: str(p, 'api_version', 40) ?? API_VERSION,
        application: null,
        created: nowSeconds(),
        description: str(p, 'description', 5000) ?? null,
        enabled_events: required(enabledEvents(p), 'enabled_events'),
        livemode: false,
        metadata: metadata(p) ?? {},
        secret: `whsec_${randomBytes(24).toString('base64url').replace(/[-_]/g, '0')}`,
        status: 'enabled',
        url: required(urlParam(p), 'url'),
      }
      await objects.insert(tx, c.account, endpoint)
      return endpoint
    })
    r.get('/webhook_endpoints/:id', 'Retrieve a webhook endpoint', async (c, db) => {
      onlyParams(c.params, ['expand'])
      return publicView(await objects.require(db, c.account, 'webhook_endpoint', c.id, 'webhook_endpoint'))
    })
    r.post('/webhook_endpoints/:id', 'Update a webhook endpoint', async (c, tx) => {
      const p = c.params
      onlyParams(p, ['url', 'enabled_events', 'description', 'metadata', 'disabled', 'expand'])
      const o = await objects.require(tx, c.account, 'webhook_endpoint', c.id, 'webhook_endpoint', 'id', true)
      const disabled = bool(p, 'disabled')
      const next = {
        ...o,
        url: urlParam(p) ?? o.url,
        enabled_events: enabledEvents(p) ?? o.enabled_events,
        description: str(p, 'description', 5000) ?? o.description,
        metadata: mergeMetadata(o.metadata, metadata(p)),
        status: disabled === undefined ? o.status : disabled ? 'disabled' : 'enabled',
      }
      await objects.update(tx, c.account, next)
      return publicView(next)
    })
    r.del('/webhook_endpoints/:id', 'Delete a webhook endpoint', async (c, tx) => {
      await objects.require(tx, c.account, 'webhook_endpoint', c.id, 'webhook_endpoint', 'id', true)
      await objects.markDeleted(tx, c.account, c.id)
      return { id: c.id, object: 'webhook_endpoint', deleted: true }
    })
    r.get('/webhook_endpoints', 'List webhook endpoints', async (c, db) => {
      const page = await listPage(
        objects,
        db,
        c.account,
        'webhook_endpoint',
        '/v1/webhook_endpoints',
        c.params,
      )
      return { ...page, data: page.data.map(publicView) }
    })
  }
}

export interface DeliveryOptions {
  db: Db
  objects: ObjectStore
  jobs: SystemJobs
  agent: Agent
  timeoutMs: number
  /** Attempts of one delivery (one event to one endpoint) before it is given up ('failed'). */
  maxAttempts: number
  backoff: { baseMs: number; maxMs: number }
  onAttempt: (outcome: 'delivered' | 'failed' | 'skipped') => void
}

/** Deliveries one run of a stream's job makes before it hands over to a fresh job. */
const PER_RUN = 10

interface Claimed {
  seq: string
  event_id: string
  attempts: number
}

/**
 * Claim the first open delivery of a stream: 'busy' when another worker holds it (its lease
 * not passed), undefined when the stream has none open. The state test sits on the updated row,
 * so of two workers claiming at once the second re-reads the row and gets nothing.
 */
async function claimHead(db: Db, p: DeliveryPayload, leaseMs: number): Promise<Claimed | 'busy' | undefined> {
  const { rows } = await db.query<Claimed>(
    `UPDATE stripe_webhook_deliveries d
        SET state = 'sending', attempts = d.attempts + 1, lease_until = now() + $3 * interval '1 millisecond'
      WHERE d.seq = (SELECT seq FROM stripe_webhook_deliveries
                      WHERE endpoint_id = $1 AND object_id = $2 AND state IN ('pending', 'sending')
                      ORDER BY seq LIMIT 1)
        AND (d.state = 'pending' OR d.lease_until < now())
      RETURNING d.seq::text, d.event_id, d.attempts`,
    [p.endpoint, p.object, leaseMs],
  )
  if (rows[0]) return rows[0]
  const open = await db.query(
    `SELECT 1 FROM stripe_webhook_deliveries WHERE endpoint_id = $1 AND object_id = $2 AND state IN ('pending', 'sending') LIMIT 1`,
    [p.endpoint, p.object],
  )
  return open.rows.length > 0 ? 'busy' : undefined
}

async function settle(db: Db, seq: string, state: string, status: number | null): Promise<void> {
  await db.query(
    `UPDATE stripe_webhook_deliveries SET state = $2, last_status = $3, lease_until = NULL,
            delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
      WHERE seq = $1::bigint`,
    [seq, state, status],
  )
}

/**
 * The delivery task, one job per stream (an object's events to one endpoint): it takes the
 * stream's deliveries one at a time in the order the events were written, POSTs each signed, and
 * goes to the next only once it was answered 2xx (or given up after `maxAttempts`). A failed
 * attempt puts the delivery back and fails the job, which the engine retries after its backoff,
 * starting again from that same delivery: a retry never lets a later event overtake it. An
 * endpoint deleted or disabled meanwhile: its deliveries are skipped (Stripe stops sending too).
 */
export function deliveryTask(o: DeliveryOptions): TaskDefinition {
  const leaseMs = o.timeoutMs + 5_000
  return {
    description: "Deliver a payments object's events to a webhook endpoint in order, signed as Stripe signs",
    backoff: o.backoff,
    timeoutMs: PER_RUN * leaseMs + 5_000,
    validate(payload) {
      const p = payload as DeliveryPayload
      if (typeof p?.account !== 'string' || typeof p.endpoint !== 'string' || typeof p.object !== 'string')
        throw new Error('payload must be {account, endpoint, object}')
    },
    async handler(payload, ctx) {
      const p = payload as DeliveryPayload
      for (let done = 0; ; done++) {
        if (done === PER_RUN) {
          // A long stream: a fresh job goes on with it (this attempt's timeout stays bounded).
          await ctx.completeWith((tx) => enqueueDelivery(o.jobs, tx, p, ctx.job.maxAttempts))
          return { delivered: done, continued: true }
        }
        const head = await claimHead(o.db, p, leaseMs)
        if (head === 'busy') throw new Error(`another worker is delivering ${p.object} to ${p.endpoint}`)
        if (!head) return { delivered: done }
        const endpoint = await o.objects.get(o.db, p.account, 'webhook_endpoint', p.endpoint)
        const event = await o.objects.get(o.db, p.account, 'event', head.event_id)
        if (!endpoint || !event || endpoint.status !== 'enabled') {
          await settle(o.db, head.seq, 'skipped', null)
          o.onAttempt('skipped')
          continue
        }
        const body = JSON.stringify(event)
        let status: number | null = null
        try {
          const res = await send(endpoint.url, {
            method: 'POST',
            dispatcher: o.agent,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
              'stripe-signature': signatureHeader(endpoint.secret, body, nowSeconds()),
            },
            body,
            headersTimeout: o.timeoutMs,
            bodyTimeout: o.timeoutMs,
            signal: ctx.signal,
          })
          status = res.statusCode
          await res.body.dump()
          if (status < 200 || status >= 300)
            throw new Error(`webhook endpoint ${p.endpoint} answered ${status}`)
        } catch (err) {
          o.onAttempt('failed')
          if (head.attempts >= o.maxAttempts) {
            await settle(o.db, head.seq, 'failed', status) // given up: the stream goes on
            continue
          }
          await settle(o.db, head.seq, 'pending', status)
          throw err
        }
        await settle(o.db, head.seq, 'delivered', status)
        o.onAttempt('delivered')
      }
    },
  }
}
