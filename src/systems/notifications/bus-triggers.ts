/**
 * Triggers from the Bus: other systems do not call our HTTP API when something happens, they
 * publish a fact through their outbox (`jobs.job.dead`, `inventory.stock.low`, ...). Each entry
 * of NOTIFICATIONS_BUS_TRIGGERS (`subject=workflow@topic`) subscribes a durable consumer group
 * to the subject; every event triggers the workflow for the topic's subscribers with the event
 * as its payload, and the event's message id as the Idempotency-Key, so a redelivered event
 * (at-least-once) triggers once.
 */
import { createHash } from 'node:crypto'
import type { Bus, Subscription } from '../../platform/bus/port.js'
import { AppError } from '../../platform/errors.js'
import type { Worker } from '../../platform/system.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { Triggers } from './trigger.js'

export interface BusTrigger {
  subject: string
  workflow: string
  topic: string
}

/** `subject=workflow@topic` entries of the setting. */
export function parseBusTriggers(entries: readonly string[]): BusTrigger[] {
  return entries.map((e) => {
    const [subject, rest] = e.split('=') as [string, string]
    const [workflow, topic] = rest.split('@') as [string, string]
    return { subject, workflow, topic }
  })
}

export class BusTriggers implements Worker {
  readonly name = 'notifications:bus-triggers'
  private subs: Subscription[] = []

  constructor(
    private readonly bus: Bus,
    private readonly triggers: Triggers,
    private readonly entries: BusTrigger[],
    private readonly log: Logger,
    private readonly onEvent?: (subject: string, outcome: string) => void,
  ) {}

  async start(): Promise<void> {
    for (const t of this.entries) {
      const group = `notifications-${createHash('sha256').update(`${t.subject}=${t.workflow}@${t.topic}`).digest('hex').slice(0, 12)}`
      this.subs.push(
        await this.bus.subscribe(
          t.subject,
          async (msg) => {
            // A fact about our own jobs (a delivery that died) never triggers a notification: a
            // workflow on jobs.job.dead would otherwise feed itself when its own deliveries die.
            const queue = (msg.data as { queue?: unknown } | null)?.queue
            if (typeof queue === 'string' && queue.startsWith('notifications.')) return
            const payload =
              msg.data !== null && typeof msg.data === 'object' && !Array.isArray(msg.data)
                ? (msg.data as Record<string, unknown>)
                : { value: msg.data }
            const key = `bus:${t.subject}:${t.workflow}:${t.topic}:${msg.msgId ?? createHash('sha256').update(JSON.stringify(msg.data)).digest('hex')}`
            try {
              await this.triggers.trigger(
                { name: t.workflow, to: { topic: t.topic }, payload: { ...payload, subject: msg.subject } },
                key,
                'bus',
              )
              this.onEvent?.(t.subject, 'triggered')
            } catch (err) {
              // A 4xx (no such workflow or topic, a payload the templates cannot render) will never
              // succeed: logged and dropped, not redelivered forever. Anything else is retried.
              if (err instanceof AppError && err.status < 500) {
                this.log.warn(
                  { subject: msg.subject, code: err.code, detail: err.message },
                  'bus event not triggered',
                )
                this.onEvent?.(t.subject, 'refused')
                return
              }
              throw err
            }
          },
          { group, maxDeliver: 20 },
        ),
      )
    }
  }

  async stop(): Promise<void> {
    for (const s of this.subs.splice(0)) await s.close()
  }
}
