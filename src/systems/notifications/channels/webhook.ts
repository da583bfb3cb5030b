/**
 * Webhooks signed per the Standard Webhooks specification: `webhook-id` (the delivery's id, the
 * receiver's idempotency key), `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 with the
 * subscriber's `whsec_` secret), so the `standardwebhooks` package verifies them. Sent through the
 * guarded agent (platform/net): private addresses only when NOTIFICATIONS_ALLOWED_TARGETS lists
 * them. 2xx: done; 410: the receiver is gone (not retried); anything else is retried.
 */
import { Webhook } from 'standardwebhooks'
import { type Agent, request } from 'undici'
import { type Attempt, describe } from './outcome.js'

export interface WebhookMessage {
  id: string
  url: string
  secret: string
  type: string
  data: unknown
}

/** POST one message; the body is `{type, timestamp, data}` as the specification suggests. */
export async function sendWebhook(
  m: WebhookMessage,
  agent: Agent,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Attempt> {
  const at = new Date()
  const body = JSON.stringify({ type: m.type, timestamp: at.toISOString(), data: m.data })
  const signature = new Webhook(m.secret).sign(m.id, at, body)
  try {
    const res = await request(m.url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Blueprints-Notifications/1.0',
        'webhook-id': m.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    })
    await res.body.dump()
    if (res.statusCode >= 200 && res.statusCode < 300)
      return { status: 'sent', detail: `HTTP ${res.statusCode}` }
    if (res.statusCode === 410) return { status: 'bounced', detail: 'HTTP 410 Gone' }
    return { status: 'failed', detail: `HTTP ${res.statusCode}` }
  } catch (err) {
    return { status: 'failed', detail: describe(err) }
  }
}
