/**
 * Bad input gets a clear 4xx problem+json naming what is wrong, never a 5xx: templates that do
 * not parse, payloads missing a variable a template uses, unknown subscribers / workflows /
 * topics, oversized payloads, bad time zones and webhook URLs, an Idempotency-Key reused with
 * another body; in a bulk trigger one bad event fails alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { auth, notificationsApp } from './testing.js'

describe.each(backends())('notifications bad input (%s)', (backend) => {
  let app: App
  const call = async (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = auth,
  ) => {
    const res = await app.http.inject({ method: method as 'GET', url, payload: payload as object, headers })
    return {
      status: res.statusCode,
      body: res.body ? res.json() : undefined,
      type: res.headers['content-type'],
    }
  }
  beforeAll(async () => {
    app = await notificationsApp(backend)
    expect(
      (await call('PUT', '/notifications/v1/subscribers/ann', { email: 'ann@example.com' })).status,
    ).toBe(201)
    expect(
      (
        await call('PUT', '/notifications/v1/workflows/hello', {
          steps: [
            {
              channel: 'email',
              subject: 'Hi {{payload.name}}',
              body: '<b>{{payload.name}}</b> {{subscriber.email}}',
            },
          ],
        })
      ).status,
    ).toBe(201)
  }, 120_000)
  afterAll(async () => {
    await app?.close()
  })

  it('refuses requests without the admin token', async () => {
    const r = await call('GET', '/notifications/v1/workflows', undefined, {})
    expect(r.status).toBe(401)
    expect(r.body.code).toBe('NOTIFICATIONS_UNAUTHORIZED')
  })

  it('refuses workflows whose templates do not parse or whose steps do not fit', async () => {
    const cases: [unknown, string][] = [
      [{ steps: [{ channel: 'in_app', body: '{{#open}}never closed' }] }, 'NOTIFICATIONS_TEMPLATE_ERROR'],
      [{ steps: [{ channel: 'in_app', body: '{{{raw}}}' }] }, 'NOTIFICATIONS_TEMPLATE_ERROR'],
      [{ steps: [{ channel: 'email', body: 'no subject' }] }, 'NOTIFICATIONS_INVALID_WORKFLOW'],
      [{ steps: [{ type: 'branch', if: { read: 0 } }] }, 'NOTIFICATIONS_INVALID_WORKFLOW'],
      [
        {
          steps: [
            { channel: 'in_app', body: 'a' },
            { type: 'digest', ms: 10 },
            { type: 'digest', ms: 10 },
          ],
        },
        'NOTIFICATIONS_INVALID_WORKFLOW',
      ],
    ]
    for (const [body, code] of cases) {
      const r = await call('PUT', '/notifications/v1/workflows/bad', body)
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.body.code).toBe(code)
      expect(r.type).toMatch(/problem\+json/)
    }
    expect((await call('PUT', '/notifications/v1/workflows/bad', { steps: [] })).status).toBe(400)
    expect(
      (await call('PUT', '/notifications/v1/workflows/bad', { steps: [{ channel: 'sms', body: 'x' }] }))
        .status,
    ).toBe(400)
  })

  it('refuses triggers it cannot carry out, naming the reason', async () => {
    const missingVar = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: 'ann',
      payload: {},
    })
    expect(missingVar.status).toBe(422)
    expect(missingVar.body.code).toBe('NOTIFICATIONS_TEMPLATE_ERROR')
    expect(missingVar.body.detail).toContain('payload.name')
    const unknownSub = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: ['ann', 'zed'],
      payload: { name: 'x' },
    })
    expect(unknownSub.status).toBe(422)
    expect(unknownSub.body.code).toBe('NOTIFICATIONS_SUBSCRIBER_NOT_FOUND')
    expect(unknownSub.body.unknown).toEqual(['zed'])
    const unknownWf = await call('POST', '/notifications/v1/events/trigger', { name: 'nope', to: 'ann' })
    expect(unknownWf.status).toBe(422)
    expect(unknownWf.body.code).toBe('NOTIFICATIONS_WORKFLOW_NOT_FOUND')
    const unknownTopic = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: { topic: 'nobody' },
      payload: { name: 'x' },
    })
    expect(unknownTopic.status).toBe(422)
    const big = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: 'ann',
      payload: { name: 'x'.repeat(70_000) },
    })
    expect(big.status).toBe(413)
    expect(big.body.code).toBe('NOTIFICATIONS_PAYLOAD_TOO_LARGE')
    const nul = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: 'ann',
      payload: { name: 'a\u0000b' },
    })
    expect(nul.status).toBe(400)
    const badId = await call('POST', '/notifications/v1/events/trigger', {
      name: 'hello',
      to: 'a b',
      payload: { name: 'x' },
    })
    expect(badId.status).toBe(400)
  })

  it('fails one bad event of a bulk trigger alone', async () => {
    const r = await call('POST', '/notifications/v1/events/trigger/bulk', {
      events: [
        { name: 'hello', to: 'ann', payload: { name: 'one' } },
        { name: 'hello', to: 'ann', payload: {} },
        { name: 'hello', to: 'ghost', payload: { name: 'x' } },
        { name: 'hello', to: 'ann', payload: { name: 'two' } },
      ],
    })
    expect(r.status).toBe(207)
    expect(r.body.results.map((x: { status: number }) => x.status)).toEqual([201, 422, 422, 201])
    expect(r.body.results[1].error.code).toBe('NOTIFICATIONS_TEMPLATE_ERROR')
  })

  it('refuses bad subscribers and unknown ids with 4xx', async () => {
    expect(
      (await call('PUT', '/notifications/v1/subscribers/bob', { timezone: 'Mars/Olympus' })).body.code,
    ).toBe('NOTIFICATIONS_INVALID_INPUT')
    expect((await call('PUT', '/notifications/v1/subscribers/bob', { webhookUrl: 'ftp://x' })).status).toBe(
      422,
    )
    expect(
      (
        await call('PUT', '/notifications/v1/subscribers/bob', {
          quietHours: { start: '25:00', end: '07:00' },
        })
      ).status,
    ).toBe(400)
    expect((await call('GET', '/notifications/v1/subscribers/nobody')).status).toBe(404)
    expect((await call('GET', '/notifications/v1/subscribers/nobody/inbox')).status).toBe(404)
    expect((await call('DELETE', '/notifications/v1/events/trigger/txn_nothere')).status).toBe(404)
    expect(
      (await call('POST', '/notifications/v1/topics/t1/subscribers', { subscribers: ['ann'] })).status,
    ).toBe(404)
  })
})
