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
import type { TaskDefinition } from '../../../platform/jobs/types.js'
import type { Router, StripeDeps } from './api.js'
import { StripeErrors } from './errors.js'
import type { DeliveryPayload } from './events.js'
import { API_VERSION } from './events.js'
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
  agent: Agent
  timeoutMs: number
  backoff: { baseMs: number; maxMs: number }
  onAttempt: (outcome: 'delivered' | 'failed' | 'skipped') => void
}

/**
 * The delivery task: POST the event, signed, to its endpoint; a non-2xx answer or a network
 * error fails the attempt and the job engine retries it after its backoff. An endpoint deleted
 * or disabled meanwhile ends the job quietly (Stripe stops sending too).
 */
export function deliveryTask(o: DeliveryOptions): TaskDefinition {
  return {
    description: 'Deliver a payments event to a webhook endpoint, signed as Stripe signs',
    backoff: o.backoff,
    timeoutMs: o.timeoutMs + 5_000,
    validate(payload) {
      const p = payload as DeliveryPayload
      if (typeof p?.account !== 'string' || typeof p.endpoint !== 'string' || typeof p.event !== 'string')
        throw new Error('payload must be {account, endpoint, event}')
    },
    async handler(payload, ctx) {
      const p = payload as DeliveryPayload
      const endpoint = await o.objects.get(o.db, p.account, 'webhook_endpoint', p.endpoint)
      const event = await o.objects.get(o.db, p.account, 'event', p.event)
      if (!endpoint || !event || endpoint.status !== 'enabled') {
        o.onAttempt('skipped')
        return { skipped: true }
      }
      const body = JSON.stringify(event)
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
      }).catch((err: unknown) => {
        o.onAttempt('failed')
        throw err
      })
      await res.body.dump()
      if (res.statusCode < 200 || res.statusCode >= 300) {
        o.onAttempt('failed')
        throw new Error(`webhook endpoint ${p.endpoint} answered ${res.statusCode}`)
      }
      o.onAttempt('delivered')
      return { status: res.statusCode, attempt: ctx.job.attempts }
    },
  }
}
