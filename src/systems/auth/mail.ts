/**
 * Mail out, through SMTP (nodemailer). Mails are sent by the `auth.send-mail` job task
 * (platform/jobs), enqueued in the transaction that decided to send them: a mail goes out if and
 * only if that transaction committed, and a failed send is retried with backoff. Without
 * AUTH_SMTP_URL a mail is written to the log instead (a development install has no mail server).
 */
import nodemailer from 'nodemailer'
import type { Logger } from '../../platform/telemetry/logger.js'

export interface Mail {
  to: string
  subject: string
  text: string
}

export { MAIL_QUEUE, SEND_MAIL_TASK } from './mail-queue.js'

export interface Mailer {
  send(mail: Mail): Promise<void>
  close(): void
}

/** A mailer for `smtpUrl` (smtp:// or smtps://), or one that logs mails when it is unset. */
export function createMailer(smtpUrl: string | undefined, from: string, log: Logger): Mailer {
  if (!smtpUrl)
    return {
      async send(mail) {
        log.info({ mail }, 'AUTH_SMTP_URL is not set: this mail was logged, not sent')
      },
      close() {},
    }
  const transport = nodemailer.createTransport(smtpUrl)
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text })
    },
    close: () => transport.close(),
  }
}
