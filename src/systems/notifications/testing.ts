/**
 * Test helpers: a notifications app on a backend, and the receivers a delivery reaches, run
 * in-process on loopback: an SMTP sink (smtp-server, each message parsed by mailparser), a
 * webhook receiver (each request verified with the `standardwebhooks` package), counting what
 * arrives by its idempotency key (Message-ID, webhook-id).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { Webhook } from 'standardwebhooks'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import notifications from './index.js'

export const API_TOKEN = 'test-notifications-token'
export const auth = { authorization: `Bearer ${API_TOKEN}` }

export interface ReceivedMail {
  messageId: string
  to: string
  subject: string
  html: string
  text: string
}

/** An SMTP server on loopback that keeps every message it accepted; `rejectNext` bounces (550) the next n. */
export async function smtpSink() {
  const mails: ReceivedMail[] = []
  let reject = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (m) => {
          if (reject > 0) {
            reject--
            const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 })
            return callback(err)
          }
          mails.push({
            messageId: m.messageId ?? '',
            to: Array.isArray(m.to) ? m.to.map((a) => a.text).join(',') : (m.to?.text ?? ''),
            subject: m.subject ?? '',
            html: typeof m.html === 'string' ? m.html : '',
            text: m.text ?? '',
          })
          callback()
        },
        (err: Error) => callback(err),
      )
    },
  })
  // A client killed mid-session (the SIGKILL tests) resets its connection: not the sink's failure.
  server.on('error', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    rejectNext(n: number) {
      reject = n
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

export interface ReceivedWebhook {
  id: string
  body: { type: string; timestamp: string; data: unknown }
  verified: boolean
}

/** A webhook receiver on loopback: verifies each request with the subscriber's secret (secretOf). */
export async function webhookReceiver(secretOf: () => Map<string, string>, failFirst = 0) {
  const received: ReceivedWebhook[] = []
  let failing = failFirst
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('error', () => {})
    req.on('data', (d) => {
      raw += d
    })
    req.on('end', () => {
      if (failing > 0) {
        failing--
        res.writeHead(503).end()
        return
      }
      const sub = new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? ''
      let verified = false
      try {
        new Webhook(secretOf().get(sub) ?? '').verify(raw, req.headers as Record<string, string>)
        verified = true
      } catch {}
      received.push({ id: String(req.headers['webhook-id']), body: JSON.parse(raw), verified })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: (subscriber: string) => `http://127.0.0.1:${port}/hooks/${subscriber}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** A notifications app on `backend` (workers started; not listening unless asked). */
export function notificationsApp(backend: BackendName, env: Record<string, string> = {}): Promise<App> {
  return buildTestApp(backend, {
    systems: [notifications],
    env: {
      NOTIFICATIONS_API_TOKEN: API_TOKEN,
      NOTIFICATIONS_BACKOFF_BASE_MS: '50',
      NOTIFICATIONS_BACKOFF_MAX_MS: '500',
      JOBS_POLL_MS: '200',
      ...env,
    },
  })
}

/** How many times each key occurs. */
export function counts(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1)
  return m
}
