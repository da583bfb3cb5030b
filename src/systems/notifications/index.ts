/**
 * Notifications: subscribers, topics, workflows of channel steps (email, in-app, webhook, push),
 * delays, digests and branches, preferences and quiet hours, triggered over HTTP or the Bus,
 * delivered through platform/jobs, with an in-app inbox on platform/live. This file only wires
 * the parts: stores -> triggers -> runner and delivery tasks -> routes -> workers. Read
 * README.md first.
 */
import { bearerMatches, requireBearerToken } from '../../platform/http/bearer-auth.js'
import { guardedAgent } from '../../platform/net/guarded-agent.js'
import { createRateLimiter } from '../../platform/rate-limit/index.js'
import { defineSystem } from '../../platform/system.js'
import { Counter } from '../../platform/telemetry/metrics.js'
import { BusTriggers, parseBusTriggers } from './bus-triggers.js'
import { createMailer } from './channels/email.js'
import { type VapidKeys, vapidKeys } from './channels/push.js'
import { deliverTask } from './deliver.js'
import { eventRoutes } from './events.routes.js'
import { Inbox } from './inbox.js'
import { inboxRoutes } from './inbox.routes.js'
import { DELIVER_TASK, DELIVERIES_QUEUE, RUN_TASK, RUNS_QUEUE } from './queues.js'
import { runTask } from './runner.js'
import { settings } from './settings.js'
import { SubscriberStore, TopicStore } from './subscribers.js'
import { subscriberRoutes } from './subscribers.routes.js'
import { SubscriberTokens } from './tokens.js'
import { Triggers } from './trigger.js'
import { WorkflowStore } from './workflows.js'

/** Largest trigger payload (JSON bytes). */
const MAX_PAYLOAD_BYTES = 64 * 1024

export default defineSystem({
  name: 'notifications',
  description:
    'Notifications: workflows over email, in-app inbox, webhooks and Web Push with preferences, quiet hours, digests, exactly once per channel',
  migrations: new URL('./sql/', import.meta.url),
  settings,
  jobs: {
    queues: {
      [RUNS_QUEUE]: { concurrency: 8, retentionMs: 3_600_000 },
      [DELIVERIES_QUEUE]: { concurrency: 16, retentionMs: 24 * 3_600_000 },
    },
  },

  async create(ctx) {
    const s = ctx.settings
    const db = ctx.db
    const registry = ctx.metrics.registry
    const triggered = new Counter({
      name: 'notifications_triggers_total',
      help: 'Triggers accepted (a replay with the same Idempotency-Key is not counted)',
      registers: [registry],
    })
    const recipients = new Counter({
      name: 'notifications_trigger_recipients_total',
      help: 'Subscribers reached by accepted triggers (fan-out)',
      registers: [registry],
    })
    const deliveries = new Counter({
      name: 'notifications_deliveries_total',
      help: 'Deliveries written by the runner, by channel and status (queued, deferred, skipped)',
      labelNames: ['channel', 'status'],
      registers: [registry],
    })
    const attempts = new Counter({
      name: 'notifications_delivery_attempts_total',
      help: 'Delivery attempts by channel and outcome (sent, delivered, failed, bounced, skipped, cancelled)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    })
    const busEvents = new Counter({
      name: 'notifications_bus_events_total',
      help: 'Bus events that triggered a workflow (or were refused: no such workflow or topic)',
      labelNames: ['subject', 'outcome'],
      registers: [registry],
    })

    const subscribers = new SubscriberStore(db)
    const topics = new TopicStore(db)
    const workflows = new WorkflowStore(db)
    const tokens = await SubscriberTokens.open(db, s.NOTIFICATIONS_SIGNING_SECRET)
    const inbox = new Inbox(db, ctx.live, 1_000)
    ctx.live.acceptTokens(async (token) => {
      // The admin token reads any inbox (user `*`); a subscriber token reads its own.
      if (s.NOTIFICATIONS_API_TOKEN && bearerMatches(`Bearer ${token}`, s.NOTIFICATIONS_API_TOKEN))
        return { user: '*', expiresAt: Date.now() + 3_600_000, issuedAt: undefined, jti: undefined }
      return tokens.check(token)
    })
    const triggers = new Triggers({
      db,
      jobs: ctx.jobs,
      workflows,
      subscribers,
      topics,
      maxRecipients: s.NOTIFICATIONS_MAX_RECIPIENTS,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      onAccepted: (n) => {
        triggered.inc()
        recipients.inc(n)
      },
    })
    const agent = guardedAgent({
      allowed: new Set(s.NOTIFICATIONS_ALLOWED_TARGETS.map((t) => t.toLowerCase())),
    })
    const mailer = createMailer({
      smtpUrl: s.NOTIFICATIONS_SMTP_URL,
      from: s.NOTIFICATIONS_EMAIL_FROM,
      timeoutMs: s.NOTIFICATIONS_TIMEOUT_MS,
    })
    let vapid: Promise<VapidKeys> | undefined
    const vapidOnce = () => {
      vapid ??= vapidKeys(db).catch((err: unknown) => {
        vapid = undefined
        throw err
      })
      return vapid
    }
    const limiter = createRateLimiter({
      algorithm: 'sliding-window-counter',
      limit: s.NOTIFICATIONS_RATE_LIMIT,
      periodMs: s.NOTIFICATIONS_RATE_PERIOD_MS,
      store: ctx.redis ? { redis: ctx.redis, namespace: 'subscriber-rate' } : 'memory',
    })
    const bus = new BusTriggers(
      ctx.bus,
      triggers,
      parseBusTriggers(s.NOTIFICATIONS_BUS_TRIGGERS),
      ctx.log,
      (subject, outcome) => busEvents.inc({ subject, outcome }),
    )

    return {
      async routes(app) {
        await app.register(async (scope) => {
          requireBearerToken(scope, {
            token: s.NOTIFICATIONS_API_TOKEN,
            code: 'NOTIFICATIONS_UNAUTHORIZED',
            realm: 'notifications',
            message: 'the notifications admin API needs Authorization: Bearer <NOTIFICATIONS_API_TOKEN>',
          })
          subscriberRoutes(scope, { db, subscribers, topics, tokens })
          eventRoutes(scope, { db, workflows, triggers })
        })
        await app.register(async (scope) =>
          inboxRoutes(scope, { inbox, subscribers, tokens, adminToken: s.NOTIFICATIONS_API_TOKEN }),
        )
        app.get(
          '/v1/push/vapid-public-key',
          { schema: { tags: ['notifications'], summary: 'The VAPID public key browsers subscribe with' } },
          async () => ({
            publicKey: (await vapidOnce()).publicKey,
          }),
        )
      },
      tasks: {
        [RUN_TASK]: runTask({
          schema: db.schema,
          jobs: ctx.jobs,
          subscribers,
          maxAttempts: s.NOTIFICATIONS_MAX_ATTEMPTS,
          defaults: async (q, id) => (await workflows.get(q, id))?.defaults ?? {},
          onDelivery: (channel, status) => deliveries.inc({ channel, status }),
        }),
        [DELIVER_TASK]: deliverTask({
          db,
          jobs: ctx.jobs,
          subscribers,
          inbox,
          mailer,
          agent,
          vapid: vapidOnce,
          vapidSubject: s.NOTIFICATIONS_VAPID_SUBJECT,
          limiter,
          timeoutMs: s.NOTIFICATIONS_TIMEOUT_MS,
          backoff: { baseMs: s.NOTIFICATIONS_BACKOFF_BASE_MS, maxMs: s.NOTIFICATIONS_BACKOFF_MAX_MS },
          onAttempt: (channel, outcome) => attempts.inc({ channel, outcome }),
        }),
      },
      workers: [bus],
      async close() {
        mailer.close()
        await agent.close()
      },
    }
  },
})
