/**
 * The main path, in one process: a workflow of email + in-app + webhook triggered for three
 * subscribers; every message arrives once at the SMTP sink, the webhook receiver (signatures
 * verified by the standardwebhooks package) and the inbox, HTML in variables escaped in the
 * email and raw in the JSON. Idempotency: the same Idempotency-Key sent 20 times at once gives
 * one transactionId and one delivery per channel; the same key with another body is a 422.
 * Cancel stops a delayed run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { auth, counts, notificationsApp, smtpSink, webhookReceiver } from './testing.js'

describe.each(backends())('notifications delivery (%s)', (backend) => {
  let app: App
  let smtp: Awaited<ReturnType<typeof smtpSink>>
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>
  const secrets = new Map<string, string>()

  const call = async (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers: { ...auth, ...headers },
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers }
  }

  beforeAll(async () => {
    smtp = await smtpSink()
    hooks = await webhookReceiver(() => secrets)
    app = await notificationsApp(backend, {
      NOTIFICATIONS_SMTP_URL: smtp.url,
      NOTIFICATIONS_ALLOWED_TARGETS: `127.0.0.1:${hooks.port}`,
    })
    for (const id of ['ann', 'bob', 'cy']) {
      const r = await call('PUT', `/notifications/v1/subscribers/${id}`, {
        email: `${id}@example.com`,
        webhookUrl: hooks.url(id),
        data: { name: id.toUpperCase() },
      })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      secrets.set(id, r.body.webhookSecret)
    }
    const w = await call('PUT', '/notifications/v1/workflows/order-shipped', {
      steps: [
        {
          channel: 'email',
          subject: 'Order {{payload.order}} shipped',
          body: '<p>Hi {{subscriber.data.name}}, {{payload.note}}</p>',
        },
        { channel: 'in_app', body: 'Order {{payload.order}}: {{payload.note}}' },
        { channel: 'webhook', body: '{"order": "{{payload.order}}", "note": "{{payload.note}}"}' },
      ],
    })
    expect(w.status).toBe(201)
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await smtp?.close()
    await hooks?.close()
  })

  it('delivers every channel once to each subscriber, escaped per channel', async () => {
    const note = '<script>alert("x")</script> & "quotes"'
    const r = await call('POST', '/notifications/v1/events/trigger', {
      name: 'order-shipped',
      to: ['ann', 'bob', 'cy'],
      payload: { order: 'A-1', note },
    })
    expect(r.status).toBe(201)
    expect(r.body.transactionId).toMatch(/^txn_/)
    await waitFor('3 mails, 3 webhooks', () => smtp.mails.length >= 3 && hooks.received.length >= 3, 90_000)
    const inbox = await call('GET', '/notifications/v1/subscribers/ann/inbox')
    expect(inbox.body.messages).toHaveLength(1)
    expect(inbox.body.messages[0].body).toBe(`Order A-1: ${note}`)

    const annMail = smtp.mails.find((m) => m.to.includes('ann@example.com'))!
    expect(annMail.subject).toBe('Order A-1 shipped')
    expect(annMail.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;',
    )
    expect(annMail.html).not.toContain('<script>')
    expect(annMail.html).toContain('Hi ANN')
    expect(hooks.received.every((h) => h.verified)).toBe(true)
    expect(hooks.received.map((h) => (h.body.data as { note: string }).note)).toEqual([note, note, note])

    const status = await call('GET', `/notifications/v1/events/${r.body.transactionId}`)
    expect(status.body.deliveries).toHaveLength(9)
    await waitFor('all 9 recorded', async () => {
      const s = await call('GET', `/notifications/v1/events/${r.body.transactionId}`)
      return s.body.deliveries.every((d: { status: string }) => ['sent', 'delivered'].includes(d.status))
    })
  }, 120_000)

  it('processes one trigger once for 20 concurrent requests with one Idempotency-Key', async () => {
    const before = { mails: smtp.mails.length, hooks: hooks.received.length }
    const body = { name: 'order-shipped', to: 'bob', payload: { order: 'B-2', note: 'once' } }
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', '/notifications/v1/events/trigger', body, { 'idempotency-key': 'order-B-2' }),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201))
    expect(new Set(answers.map((a) => a.body.transactionId)).size).toBe(1)
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    await waitFor(
      'the mail and the webhook',
      () => smtp.mails.length > before.mails && hooks.received.length > before.hooks,
      90_000,
    )
    // Later retries are replays too, and a different request under the same key is refused.
    const again = await call('POST', '/notifications/v1/events/trigger', body, {
      'idempotency-key': 'order-B-2',
    })
    expect(again.body.transactionId).toBe(answers[0]!.body.transactionId)
    const other = await call(
      'POST',
      '/notifications/v1/events/trigger',
      { ...body, payload: { order: 'B-3', note: 'x' } },
      { 'idempotency-key': 'order-B-2' },
    )
    expect(other.status).toBe(422)
    expect(other.body.code).toBe('NOTIFICATIONS_IDEMPOTENCY_KEY_REUSED')
    await waitFor('inbox has B-2', async () => {
      const i = await call('GET', '/notifications/v1/subscribers/bob/inbox')
      return i.body.messages.some((m: { body: string }) => m.body.startsWith('Order B-2'))
    })
    const inbox = await call('GET', '/notifications/v1/subscribers/bob/inbox')
    expect(inbox.body.messages.filter((m: { body: string }) => m.body.startsWith('Order B-2'))).toHaveLength(
      1,
    )
    expect([...counts(smtp.mails.map((m) => m.messageId)).values()].every((n) => n === 1)).toBe(true)
    expect(smtp.mails.filter((m) => m.subject === 'Order B-2 shipped')).toHaveLength(1)
    expect(hooks.received.filter((h) => (h.body.data as { order: string }).order === 'B-2')).toHaveLength(1)
  }, 120_000)

  it('cancels a pending trigger: nothing after the delay is delivered', async () => {
    await call('PUT', '/notifications/v1/workflows/later', {
      steps: [
        { type: 'delay', ms: 1_500 },
        { channel: 'in_app', body: 'later {{payload.n}}' },
      ],
    })
    const kept = await call('POST', '/notifications/v1/events/trigger', {
      name: 'later',
      to: 'cy',
      payload: { n: 1 },
    })
    const cancelled = await call('POST', '/notifications/v1/events/trigger', {
      name: 'later',
      to: 'cy',
      payload: { n: 2 },
    })
    const c = await call('DELETE', `/notifications/v1/events/trigger/${cancelled.body.transactionId}`)
    expect(c.status).toBe(200)
    expect(c.body.cancelled).toBe(true)
    await waitFor(
      'the kept one arrives',
      async () => {
        const i = await call('GET', '/notifications/v1/subscribers/cy/inbox')
        return i.body.messages.some((m: { body: string }) => m.body === 'later 1')
      },
      60_000,
    )
    await waitFor(
      'the cancelled run finished',
      async () => {
        const { rows } = await app.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${app.config.dbSchemaPrefix}jobs.jobs WHERE payload->>'t' = $1 AND state IN ('waiting', 'active', 'failed')`,
          [cancelled.body.transactionId],
        )
        return rows[0]!.n === 0
      },
      60_000,
    )
    const i = await call('GET', '/notifications/v1/subscribers/cy/inbox')
    expect(i.body.messages.some((m: { body: string }) => m.body === 'later 2')).toBe(false)
    expect(kept.status).toBe(201)
  }, 120_000)
})
