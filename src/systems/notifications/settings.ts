/** The notifications system's environment variables (validated at boot with the platform's). */
import { int, list, optional, str, url } from '../../platform/settings.js'

const hostPort = (v: string) => /^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(v)

export const settings = {
  NOTIFICATIONS_API_TOKEN: optional(
    str({
      maxLength: 200,
      doc: 'bearer token the admin API requires (Authorization: Bearer <token>); unset: open (development)',
    }),
  ),
  NOTIFICATIONS_SMTP_URL: optional(
    url(['smtp', 'smtps'], {
      doc: 'where email goes (smtp://host:port); unset: email is stored in the email_outbox table and logged',
    }),
  ),
  NOTIFICATIONS_EMAIL_FROM: str({
    default: 'Blueprints <notifications@blueprints.invalid>',
    maxLength: 320,
    doc: 'the From address of every email',
  }),
  NOTIFICATIONS_ALLOWED_TARGETS: list({
    default: [],
    item: hostPort,
    itemDoc: 'host:port',
    doc: 'webhook and push endpoint host:port pairs trusted although private (loopback in tests); others must be public',
  }),
  NOTIFICATIONS_SIGNING_SECRET: optional(
    str({
      maxLength: 200,
      doc: 'secret that signs subscriber inbox tokens (default: one generated and kept in the database)',
    }),
  ),
  NOTIFICATIONS_VAPID_SUBJECT: str({
    default: 'mailto:notifications@blueprints.invalid',
    maxLength: 320,
    doc: 'the VAPID subject (mailto: or https:) push services see; the key pair is generated once and stored',
  }),
  NOTIFICATIONS_RATE_LIMIT: int({
    default: 60,
    min: 1,
    max: 1_000_000,
    doc: 'deliveries per subscriber per NOTIFICATIONS_RATE_PERIOD_MS (critical workflows and in-app are exempt); more are deferred',
  }),
  NOTIFICATIONS_RATE_PERIOD_MS: int({
    default: 60_000,
    min: 1_000,
    max: 86_400_000,
    doc: 'the period of the per-subscriber rate limit',
  }),
  NOTIFICATIONS_MAX_ATTEMPTS: int({
    default: 10,
    min: 1,
    max: 100,
    doc: 'attempts of one delivery (email, webhook, push) before it is recorded as failed',
  }),
  NOTIFICATIONS_BACKOFF_BASE_MS: int({
    default: 2_000,
    min: 10,
    max: 3_600_000,
    doc: 'first retry delay of a failed delivery (doubling per attempt)',
  }),
  NOTIFICATIONS_BACKOFF_MAX_MS: int({
    default: 600_000,
    min: 10,
    max: 86_400_000,
    doc: 'longest delay between two attempts of a delivery',
  }),
  NOTIFICATIONS_TIMEOUT_MS: int({
    default: 10_000,
    min: 100,
    max: 120_000,
    doc: 'how long one delivery attempt (SMTP, webhook, push) may take',
  }),
  NOTIFICATIONS_MAX_RECIPIENTS: int({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'subscribers one trigger may reach (a list or a topic); beyond: 422',
  }),
  NOTIFICATIONS_BUS_TRIGGERS: list({
    default: [],
    item: (v) => /^[A-Za-z0-9_.*>-]+=[A-Za-z0-9_-]{1,64}@[A-Za-z0-9_:-]{1,64}$/.test(v),
    itemDoc: 'subject=workflowId@topicKey',
    doc: 'Bus events that trigger a workflow for a topic (e.g. jobs.job.dead=job-dead@ops); the event is the payload, its message id the idempotency key',
  }),
} as const
