/**
 * Email over SMTP (nodemailer) to NOTIFICATIONS_SMTP_URL. The Message-ID is the delivery's id,
 * so a message sent twice (a worker killed after the server accepted it, before the attempt was
 * recorded) is one message to anything that deduplicates by Message-ID. A 5xx reply is a bounce
 * (recorded, not retried); 4xx and network errors are retried. Without an SMTP server (the
 * embedded default) the message is written to the email_outbox table instead.
 */
import nodemailer, { type Transporter } from 'nodemailer'
import type { Queryable } from '../../../platform/db/port.js'
import { type Attempt, describe } from './outcome.js'

export interface Email {
  id: string
  to: string
  subject: string
  html: string
  text: string
}

export interface Mailer {
  send(mail: Email, db: Queryable): Promise<Attempt>
  close(): void
}

/** The Message-ID of a delivery (stable across retries). */
export const messageIdOf = (deliveryId: string) => `<${deliveryId}@notifications.blueprints>`

export function createMailer(o: { smtpUrl: string | undefined; from: string; timeoutMs: number }): Mailer {
  if (!o.smtpUrl)
    return {
      async send(mail, db) {
        await db.query(
          `INSERT INTO email_outbox (id, recipient, subject, html, text) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO NOTHING`,
          [mail.id, mail.to, mail.subject, mail.html, mail.text],
        )
        return { status: 'sent', detail: 'stored in email_outbox (no NOTIFICATIONS_SMTP_URL)' }
      },
      close() {},
    }
  const url = new URL(o.smtpUrl)
  const transport: Transporter = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
    secure: url.protocol === 'smtps:',
    ...(url.username && {
      auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    }),
    pool: true,
    maxConnections: 4,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    // A loopback sink in tests offers no certificate worth checking; a real relay on 587 upgrades.
    ignoreTLS: url.hostname === '127.0.0.1' || url.hostname === 'localhost',
  })
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({
          from: o.from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          messageId: messageIdOf(mail.id),
          headers: { 'X-Notification-Id': mail.id },
        })
        return { status: 'sent', detail: String(info.response ?? '').slice(0, 200) }
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode
        if (code !== undefined && code >= 500) return { status: 'bounced', detail: describe(err) }
        return { status: 'failed', detail: describe(err) }
      }
    },
    close: () => transport.close(),
  }
}
