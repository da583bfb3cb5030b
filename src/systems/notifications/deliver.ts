/**
 * The delivery task: one channel message to one subscriber (a row of `deliveries`). In-app is
 * exactly once on our side: the inbox row, the delivery's status and the job's completion commit
 * together (`completeWith`). Email, webhooks and push leave the database, so they are at least
 * once with the delivery's id as the receiver's idempotency key (Message-ID, webhook-id, the
 * push payload's id): a worker killed after the send and before the record sends again, with
 * the same id. Every attempt is recorded; the per-subscriber rate limit defers a delivery
 * (a new job at the time the limiter names) rather than dropping it.
 */
import type { Agent } from 'undici'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { TaskContext, TaskDefinition } from '../../platform/jobs/types.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import type { Mailer } from './channels/email.js'
import type { Attempt } from './channels/outcome.js'
import { sendPush, type VapidKeys } from './channels/push.js'
import { sendWebhook } from './channels/webhook.js'
import type { Inbox, InboxEvent } from './inbox.js'
import { DELIVER_TASK, DELIVERIES_QUEUE, type DeliverPayload } from './queues.js'
import { inSchema } from './schema-tx.js'
import type { SubscriberRow, SubscriberStore } from './subscribers.js'
import { TemplateError } from './template.js'
import { type Rendered, renderStep, subscriberView, type TemplateView } from './views.js'
import type { Channel, ChannelStep, Step } from './workflows.js'

export interface DeliverOptions {
  db: Db
  jobs: SystemJobs
  subscribers: SubscriberStore
  inbox: Inbox
  mailer: Mailer
  agent: Agent
  vapid: () => Promise<VapidKeys>
  vapidSubject: string
  limiter: RateLimiter
  timeoutMs: number
  backoff: { baseMs: number; maxMs: number }
  onAttempt?: (channel: Channel, status: string) => void
}

interface DeliveryRow {
  id: string
  transaction_id: string
  subscriber_id: string
  step: number
  channel: Channel
  status: string
  digest_id: string | null
  steps: Step[]
  payload: unknown
  critical: boolean
  workflow_id: string
  state: string
}

const FINAL = new Set(['sent', 'delivered', 'bounced', 'skipped', 'failed', 'cancelled'])

async function record(tx: Queryable, id: string, status: string, detail: string | undefined, final: boolean) {
  await tx.query(
    `INSERT INTO attempts (delivery_id, n, status, detail)
     SELECT $1, COALESCE(max(n), 0) + 1, $2, $3 FROM attempts WHERE delivery_id = $1`,
    [id, status, detail ?? null],
  )
  await tx.query(
    `UPDATE deliveries SET attempts = attempts + 1, updated_at = now(),
       status = CASE WHEN $3 THEN $2 ELSE status END, reason = $4 WHERE id = $1`,
    [id, status, final, detail ?? null],
  )
}

async function viewOf(db: Queryable, d: DeliveryRow, sub: SubscriberRow): Promise<TemplateView> {
  const view: TemplateView = { payload: d.payload, subscriber: subscriberView(sub) }
  if (d.digest_id !== null) {
    const { rows } = await db.query<{ payload: unknown }>(
      'SELECT payload FROM digest_events WHERE digest_id = $1 ORDER BY at, transaction_id',
      [d.digest_id],
    )
    view.digest = { count: rows.length, events: rows.map((r) => r.payload) }
  }
  return view
}

export function deliverTask(o: DeliverOptions): TaskDefinition {
  return {
    description: 'Deliver one notification on one channel to one subscriber',
    backoff: o.backoff,
    timeoutMs: o.timeoutMs + 5_000,
    validate(payload) {
      if (typeof (payload as DeliverPayload)?.id !== 'string') throw new Error('payload must be {id}')
    },
    handler: (payload, ctx) => deliver(o, (payload as DeliverPayload).id, ctx),
  }
}

async function deliver(o: DeliverOptions, id: string, ctx: TaskContext): Promise<unknown> {
  const { rows } = await o.db.query<DeliveryRow>(
    `SELECT d.*, d.digest_id::text AS digest_id, t.steps, t.payload, t.critical, t.workflow_id, t.state
       FROM deliveries d JOIN transactions t ON t.id = d.transaction_id WHERE d.id = $1`,
    [id],
  )
  const d = rows[0]
  if (!d || FINAL.has(d.status)) return { already: d?.status ?? 'gone' }
  const finish = (status: string, detail?: string) =>
    ctx.completeWith((t) =>
      inSchema(t, o.db.schema, async (tx) => {
        await record(tx, id, status, detail, true)
        o.onAttempt?.(d.channel, status)
        return { status, detail }
      }),
    )
  if (d.state === 'cancelled') return finish('cancelled', 'trigger cancelled')
  const sub = await o.subscribers.get(o.db, d.subscriber_id)
  if (!sub) return finish('skipped', 'subscriber deleted')

  if (!d.critical && d.channel !== 'in_app') {
    const rate = await o.limiter.consume(sub.id)
    if (!rate.allowed)
      return ctx.completeWith((t) =>
        inSchema(t, o.db.schema, async (tx) => {
          await tx.query(
            `UPDATE deliveries SET status = 'deferred', reason = 'rate limit', updated_at = now() WHERE id = $1`,
            [id],
          )
          await o.jobs.addJob(tx, DELIVERIES_QUEUE, {
            task: DELIVER_TASK,
            payload: { id },
            runAt: new Date(Date.now() + Math.max(rate.retryAfterMs, 100)),
            maxAttempts: ctx.job.maxAttempts,
            groupKey: ctx.job.groupKey ?? undefined,
          })
          return { deferred: rate.retryAfterMs }
        }),
      )
  }

  const step = d.steps[d.step] as ChannelStep
  let rendered: Rendered
  try {
    rendered = renderStep(step, await viewOf(o.db, d, sub))
  } catch (err) {
    if (err instanceof TemplateError) return finish('failed', `template: ${err.message}`)
    throw err
  }

  if (d.channel === 'in_app') {
    const event = await ctx.completeWith((t) =>
      inSchema(t, o.db.schema, async (tx): Promise<InboxEvent | undefined> => {
        const e = await o.inbox.insert(tx, {
          id,
          subscriber: sub.id,
          transactionId: d.transaction_id,
          workflowId: d.workflow_id,
          subject: rendered.subject ?? null,
          body: rendered.body,
          data: d.payload,
        })
        await record(tx, id, 'delivered', undefined, true)
        return e
      }),
    )
    o.onAttempt?.('in_app', 'delivered')
    if (event) await o.inbox.publish([event])
    return { status: 'delivered' }
  }

  let attempt: Attempt
  if (d.channel === 'email') {
    if (!sub.email) return finish('skipped', 'subscriber has no email')
    attempt = await o.mailer.send(
      {
        id,
        to: sub.email,
        subject: rendered.subject ?? '',
        html: rendered.body,
        text: renderText(step, rendered, d, sub),
      },
      o.db,
    )
  } else if (d.channel === 'webhook') {
    if (!sub.webhook_url) return finish('skipped', 'subscriber has no webhookUrl')
    attempt = await sendWebhook(
      { id, url: sub.webhook_url, secret: sub.webhook_secret, type: d.workflow_id, data: rendered.json },
      o.agent,
      o.timeoutMs,
      ctx.signal,
    )
  } else {
    attempt = await sendPush(
      { id, title: rendered.subject, body: rendered.body, data: d.payload },
      await o.subscribers.pushSubscriptions(o.db, sub.id),
      {
        vapid: await o.vapid(),
        subject: o.vapidSubject,
        agent: o.agent,
        timeoutMs: o.timeoutMs,
        signal: ctx.signal,
      },
      (endpoint) => o.subscribers.removePush(sub.id, endpoint),
    )
  }
  if (attempt.status !== 'failed') return finish(attempt.status, attempt.detail)
  // Failed for now: recorded, then thrown so the job engine retries after its backoff (the last
  // attempt records `failed` as the delivery's status).
  const last = ctx.job.attempts >= ctx.job.maxAttempts
  await o.db.tx((tx) => record(tx, id, 'failed', attempt.detail, last))
  o.onAttempt?.(d.channel, 'failed')
  throw new Error(`${d.channel} delivery ${id} failed: ${attempt.detail}`)
}

/** The email's text part: the body rendered as plain text (HTML escaping off). */
function renderText(step: ChannelStep, rendered: Rendered, _d: DeliveryRow, _s: SubscriberRow): string {
  return (
    rendered.body
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>/gi, '\n\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&#96;/g, '`')
      .replace(/&#61;/g, '=')
      .replace(/&amp;/g, '&')
      .trim() ||
    (step.subject ?? '')
  )
}
