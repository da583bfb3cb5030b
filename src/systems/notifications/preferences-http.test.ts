/**
 * Preferences, critical workflows and quiet hours as a subscriber meets them: a muted channel's
 * delivery is recorded `skipped` (reason `preference`) and never reaches the inbox; a critical
 * workflow arrives whatever the preference; email due inside the subscriber's local quiet hours
 * is `deferred` with its job scheduled at their end, while in-app goes at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { auth, notificationsApp } from './testing.js'

describe.each(backends())('notifications preferences over HTTP (%s)', (backend) => {
  let app: App
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers: auth,
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined }
  }
  const deliveries = async (t: string) =>
    (await call('GET', `/notifications/v1/events/${t}`)).body.deliveries as {
      channel: string
      status: string
      reason: string | null
    }[]

  beforeAll(async () => {
    app = await notificationsApp(backend)
    for (const w of ['news', 'security'])
      await call('PUT', `/notifications/v1/workflows/${w}`, {
        critical: w === 'security',
        steps: [
          { channel: 'in_app', body: `${w} {{payload.n}}` },
          { channel: 'email', subject: `${w} {{payload.n}}`, body: 'x' },
        ],
      })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
  })

  it('skips a muted channel, never a critical workflow', async () => {
    await call('PUT', '/notifications/v1/subscribers/ann', { email: 'ann@example.com' })
    const p = await call('PUT', '/notifications/v1/subscribers/ann/preferences', {
      preferences: [{ channel: 'in_app', enabled: false }],
    })
    expect(p.body.preferences).toEqual([{ workflowId: '*', channel: 'in_app', enabled: false }])
    const news = await call('POST', '/notifications/v1/events/trigger', {
      name: 'news',
      to: 'ann',
      payload: { n: 1 },
    })
    const sec = await call('POST', '/notifications/v1/events/trigger', {
      name: 'security',
      to: 'ann',
      payload: { n: 2 },
    })
    await waitFor(
      'both runs',
      async () =>
        (await deliveries(news.body.transactionId)).length === 2 &&
        (await deliveries(sec.body.transactionId)).length === 2,
      60_000,
    )
    const n = await deliveries(news.body.transactionId)
    expect(n.find((d) => d.channel === 'in_app')).toMatchObject({ status: 'skipped', reason: 'preference' })
    await waitFor(
      'the critical one in the inbox',
      async () => {
        const i = await call('GET', '/notifications/v1/subscribers/ann/inbox')
        return i.body.messages.some((m: { body: string }) => m.body === 'security 2')
      },
      60_000,
    )
    const inbox = await call('GET', '/notifications/v1/subscribers/ann/inbox')
    expect(inbox.body.messages.map((m: { body: string }) => m.body)).toEqual(['security 2'])
  }, 120_000)

  it('defers email inside local quiet hours to their end; in-app goes at once', async () => {
    // Quiet hours that contain the present moment in Asia/Kolkata: from an hour ago to an hour ahead, local time.
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Kolkata',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date())
    const h = Number(parts.find((x) => x.type === 'hour')!.value)
    const hh = (x: number) => `${String((x + 24) % 24).padStart(2, '0')}:00`
    await call('PUT', '/notifications/v1/subscribers/bob', {
      email: 'bob@example.com',
      timezone: 'Asia/Kolkata',
      quietHours: { start: hh(h - 1), end: hh(h + 2) },
    })
    const t = await call('POST', '/notifications/v1/events/trigger', {
      name: 'news',
      to: 'bob',
      payload: { n: 3 },
    })
    await waitFor('the run', async () => (await deliveries(t.body.transactionId)).length === 2, 60_000)
    const d = await deliveries(t.body.transactionId)
    expect(d.find((x) => x.channel === 'email')).toMatchObject({ status: 'deferred', reason: 'quiet hours' })
    const { rows } = await app.db.query<{ wait: number }>(
      `SELECT extract(epoch FROM run_at - now())::float8 AS wait FROM ${app.config.dbSchemaPrefix}jobs.jobs
        WHERE task = 'notifications.deliver' AND run_at > now()`,
    )
    expect(rows).toHaveLength(1)
    // The end is 1 to 3 hours away (two hours ahead of the local hour, minus the minutes passed).
    expect(rows[0]!.wait).toBeGreaterThan(3_600 - 120)
    expect(rows[0]!.wait).toBeLessThanOrEqual(3 * 3_600)
    await waitFor(
      'in-app now',
      async () => (await call('GET', '/notifications/v1/subscribers/bob/inbox')).body.messages.length === 1,
      60_000,
    )
  }, 120_000)
})
