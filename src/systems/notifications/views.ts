/**
 * What templates see: `{{payload.*}}` (the trigger's payload), `{{subscriber.*}}` (id, email,
 * phone, timezone, data) and, after a digest step, `{{digest.count}}` and
 * `{{#digest.events}}...{{/digest.events}}` (each event's payload). Rendering per channel:
 * email escapes HTML, in-app and push are plain text, a webhook body is JSON.
 */
import { NotificationErrors } from './errors.js'
import type { SubscriberRow } from './subscribers.js'
import { type Escaping, renderTemplate, TemplateError } from './template.js'
import type { Channel, ChannelStep, Step } from './workflows.js'
import { isChannelStep } from './workflows.js'

export interface TemplateView {
  payload: unknown
  subscriber: Record<string, unknown>
  digest?: { count: number; events: unknown[] }
}

export const escapingOf: Record<Channel, Escaping> = {
  email: 'html',
  in_app: 'plain',
  push: 'plain',
  webhook: 'json',
}

export function subscriberView(s: SubscriberRow): Record<string, unknown> {
  return { id: s.id, email: s.email ?? '', phone: s.phone ?? '', timezone: s.timezone, data: s.data }
}

export interface Rendered {
  subject: string | undefined
  body: string
  /** Webhooks: the body parsed (it must be JSON). */
  json?: unknown
}

/** Render one channel step; throws TemplateError (missing variable, a webhook body that is not JSON). */
export function renderStep(step: ChannelStep, view: TemplateView): Rendered {
  const esc = escapingOf[step.channel]
  const subject =
    step.subject === undefined
      ? undefined
      : renderTemplate(step.subject, view, esc === 'json' ? 'plain' : esc)
  const body = renderTemplate(step.body, view, esc)
  if (step.channel !== 'webhook') return { subject, body }
  try {
    return { subject, body, json: JSON.parse(body) }
  } catch {
    throw new TemplateError('the webhook body does not render to JSON')
  }
}

/**
 * Check at trigger time that every channel step renders with this payload (a subscriber with
 * every field, a digest of this one event after a digest step): a template with a hole is a 422
 * to the caller, not a failed delivery later.
 */
export function checkPayload(steps: Step[], payload: unknown): void {
  // Subscriber data differs per subscriber: any field passes here, a missing one fails that delivery.
  const subscriber = {
    id: 'x',
    email: 'x',
    phone: 'x',
    timezone: 'UTC',
    data: new Proxy(
      {},
      {
        getOwnPropertyDescriptor: () => ({ value: 'x', configurable: true, enumerable: true }),
        get: () => 'x',
      },
    ),
  }
  let afterDigest = false
  steps.forEach((s, i) => {
    if (!isChannelStep(s)) {
      if (s.type === 'digest') afterDigest = true
      return
    }
    const view: TemplateView = {
      payload,
      subscriber,
      ...(afterDigest && { digest: { count: 1, events: [payload] } }),
    }
    try {
      renderStep(s, view)
    } catch (err) {
      if (err instanceof TemplateError) throw NotificationErrors.template(`steps[${i}]`, err.message)
      throw err
    }
  })
}
