/**
 * The per-subscriber rate limit (platform/rate-limit): with 2 deliveries per second allowed, six
 * emails to one subscriber all arrive, each once, and the ones over the limit were deferred
 * (a new job at the time the limiter named), not dropped; another subscriber is not held back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { auth, notificationsApp, smtpSink } from './testing.js'

describe.each(backends())('notifications rate limit (%s)', (backend) => {
  let app: App
  let smtp: Awaited<ReturnType<typeof smtpSink>>
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers: auth,
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined }
  }
  beforeAll(async () => {
    smtp = await smtpSink()
    app = await notificationsApp(backend, {
      NOTIFICATIONS_SMTP_URL: smtp.url,
      NOTIFICATIONS_RATE_LIMIT: '2',
      NOTIFICATIONS_RATE_PERIOD_MS: '1000',
    })
    for (const id of ['ann', 'bob'])
      await call('PUT', `/notifications/v1/subscribers/${id}`, { email: `${id}@example.com` })
    await call('PUT', '/notifications/v1/workflows/mail', {
      steps: [{ channel: 'email', subject: 'm {{payload.n}}', body: 'x' }],
    })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await smtp?.close()
  })

  it('defers deliveries over the limit and delivers every one once', async () => {
    for (let n = 0; n < 6; n++)
      await call('POST', '/notifications/v1/events/trigger', { name: 'mail', to: 'ann', payload: { n } })
    await call('POST', '/notifications/v1/events/trigger', { name: 'mail', to: 'bob', payload: { n: 'b' } })
    await waitFor('seven mails', () => new Set(smtp.mails.map((m) => m.messageId)).size >= 7, 90_000)
    const ann = smtp.mails.filter((m) => m.to.includes('ann')).map((m) => m.subject)
    expect(new Set(ann).size).toBe(6)
    expect(smtp.mails.some((m) => m.to.includes('bob'))).toBe(true)
    // Deferrals are new jobs of the same delivery: more deliver jobs than deliveries.
    const { rows } = await app.db.query<{ jobs: number }>(
      `SELECT count(*)::int AS jobs FROM ${app.config.dbSchemaPrefix}jobs.jobs WHERE task = 'notifications.deliver'`,
    )
    expect(rows[0]!.jobs).toBeGreaterThan(7)
  }, 120_000)
})
