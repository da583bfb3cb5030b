/**
 * A mail sink for tests: an SMTP server on loopback (`smtp-server`) that parses what it receives
 * (`mailparser`), so a test points AUTH_SMTP_URL at it and reads the mails the auth system sent
 * through its job queue. Shared by every test that follows a link from a mail.
 */
import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { waitFor } from '../../platform/testing/wait.js'

export interface MailSink {
  /** `smtp://127.0.0.1:<port>`, for AUTH_SMTP_URL. */
  url: string
  /** Every mail received, in order. */
  mails: ParsedMail[]
  /** The mails to `address` (any case). */
  to(address: string): ParsedMail[]
  /** Wait (polling, up to `timeoutMs`) until `address` has `count` mails; the `count`th. */
  waitFor(address: string, count?: number, timeoutMs?: number): Promise<ParsedMail>
  close(): Promise<void>
}

/** The first `https?://...` link in a mail's text whose path contains `path`. */
export function linkIn(mail: ParsedMail, path: string): string {
  const link = (mail.text ?? '').match(/https?:\/\/\S+/g)?.find((l) => l.includes(path))
  if (!link) throw new Error(`no ${path} link in the mail: ${mail.text}`)
  return link
}

export async function mailSink(): Promise<MailSink> {
  const mails: ParsedMail[] = []
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, done) {
      simpleParser(stream).then((m) => mails.push(m), done)
      stream.on('end', () => done())
    },
  })
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  const port = (smtp.server.address() as AddressInfo).port
  const to = (address: string) =>
    mails.filter((m) =>
      JSON.stringify(m.to ?? '')
        .toLowerCase()
        .includes(address.toLowerCase()),
    )
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    async waitFor(address, count = 1, timeoutMs = 60_000) {
      await waitFor(`mail ${count} to ${address}`, () => to(address).length >= count, timeoutMs)
      return to(address)[count - 1]!
    },
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  }
}
