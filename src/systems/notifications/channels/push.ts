/**
 * Web Push: each of the subscriber's push subscriptions gets the message encrypted for its keys
 * (RFC 8291, aes128gcm) and signed with our VAPID key (RFC 8292), built by the `web-push`
 * package and sent through the guarded agent. The payload carries the delivery's id, which is
 * what a service worker deduplicates on. 404/410 from the push service: the subscription is gone
 * and is removed.
 */
import { type Agent, request } from 'undici'
import webpush from 'web-push'
import type { Queryable } from '../../../platform/db/port.js'
import type { PushSubscription } from '../subscribers.js'
import { type Attempt, describe } from './outcome.js'

export interface VapidKeys {
  publicKey: string
  privateKey: string
}

/** The installation's VAPID key pair: generated once, kept in the keys table. */
export async function vapidKeys(db: Queryable): Promise<VapidKeys> {
  const fresh = webpush.generateVAPIDKeys()
  await db.query(`INSERT INTO keys (name, value) VALUES ('vapid', $1) ON CONFLICT (name) DO NOTHING`, [
    JSON.stringify(fresh),
  ])
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM keys WHERE name = 'vapid'`)
  return JSON.parse(rows[0]!.value) as VapidKeys
}

export interface PushMessage {
  id: string
  title: string | undefined
  body: string
  data: unknown
}

/** Send to every subscription; sent when at least one push service accepted it. */
export async function sendPush(
  m: PushMessage,
  subscriptions: PushSubscription[],
  o: { vapid: VapidKeys; subject: string; agent: Agent; timeoutMs: number; signal: AbortSignal },
  gone: (endpoint: string) => Promise<void>,
): Promise<Attempt> {
  if (subscriptions.length === 0) return { status: 'skipped', detail: 'no push subscription' }
  const payload = JSON.stringify({ id: m.id, title: m.title, body: m.body, data: m.data })
  const outcomes: string[] = []
  let sent = 0
  let retry = false
  for (const s of subscriptions) {
    try {
      const details = webpush.generateRequestDetails(s, payload, {
        vapidDetails: { subject: o.subject, publicKey: o.vapid.publicKey, privateKey: o.vapid.privateKey },
        TTL: 24 * 3600,
        contentEncoding: 'aes128gcm',
        // The push service replaces a queued message with the same topic: a retry never queues twice.
        topic: m.id.replace(/[^A-Za-z0-9_-]/g, '').slice(-32),
      })
      const res = await request(details.endpoint, {
        method: 'POST',
        dispatcher: o.agent,
        headers: details.headers as Record<string, string>,
        body: details.body as Buffer,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        signal: o.signal,
      })
      await res.body.dump()
      if (res.statusCode >= 200 && res.statusCode < 300) sent++
      else if (res.statusCode === 404 || res.statusCode === 410) await gone(s.endpoint)
      else retry = true
      outcomes.push(`HTTP ${res.statusCode}`)
    } catch (err) {
      retry = true
      outcomes.push(describe(err))
    }
  }
  const detail = outcomes.join('; ').slice(0, 500)
  if (sent > 0) return { status: 'sent', detail }
  return retry ? { status: 'failed', detail } : { status: 'bounced', detail }
}
