/**
 * The in-app inbox: REST (list with pages, unread/unseen counts, mark seen/read/unread/archived)
 * with the admin token or the subscriber's own token (never another's), and live over the
 * platform's `/live/ws` with a real WebSocket client (`ws`): a new message and each mark arrive
 * as events with dense offsets; after a disconnect, a resume from the last offset gets exactly
 * what was missed; another subscriber's inbox is refused. Topics fan out to their members, and
 * branch steps skip the follow-up email of a message already read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { LiveWsClient } from '../../platform/testing/live.js'
import { waitFor } from '../../platform/testing/wait.js'
import { auth, notificationsApp } from './testing.js'

describe.each(backends())('notifications inbox (%s)', (backend) => {
  let app: App
  let url: string
  const call = async (
    method: string,
    path: string,
    payload?: unknown,
    headers: Record<string, string> = auth,
  ) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url: path,
      payload: payload as object,
      headers,
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined }
  }
  const inbox = async (id: string) =>
    (await call('GET', `/notifications/v1/subscribers/${id}/inbox?limit=100`)).body.messages as {
      id: string
      body: string
    }[]

  beforeAll(async () => {
    app = await notificationsApp(backend)
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    const addr = app.http.server.address() as { port: number }
    url = `http://127.0.0.1:${addr.port}`
    for (const id of ['ann', 'bob', 'cy'])
      await call('PUT', `/notifications/v1/subscribers/${id}`, { email: `${id}@example.com` })
    await call('PUT', '/notifications/v1/workflows/ping', {
      steps: [{ channel: 'in_app', subject: 'Ping', body: 'ping {{payload.n}}' }],
    })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
  })

  it('streams new messages and marks live, and resumes from an offset after a cut', async () => {
    const token = (await call('POST', '/notifications/v1/subscribers/ann/token', {})).body.token as string
    const stream = 'notifications.inbox.ann'
    let c = await LiveWsClient.connect(url, token)
    expect(await c.request({ type: 'subscribe', stream: 'notifications.inbox.bob' })).toMatchObject({
      type: 'error',
      status: 404,
    })
    expect(await c.request({ type: 'subscribe', stream, after: 0 })).toMatchObject({
      type: 'subscribed',
      stream,
    })
    await call('POST', '/notifications/v1/events/trigger', { name: 'ping', to: 'ann', payload: { n: 1 } })
    const first = await c.next((f) => f.stream === stream && f.type === 'message', 60_000)
    expect(first).toMatchObject({
      offset: 1,
      subscriber: 'ann',
      message: { body: 'ping 1', subject: 'Ping', readAt: null },
    })

    // The subscriber's own token reaches its REST inbox; another subscriber's path is refused.
    const mine = { authorization: `Bearer ${token}` }
    expect(
      (await call('GET', '/notifications/v1/subscribers/ann/inbox/count', undefined, mine)).body,
    ).toEqual({ unread: 1, unseen: 1, total: 1 })
    expect((await call('GET', '/notifications/v1/subscribers/bob/inbox', undefined, mine)).status).toBe(401)
    const marked = await call(
      'POST',
      '/notifications/v1/subscribers/ann/inbox/mark',
      { as: 'read', ids: [first.message.id] },
      mine,
    )
    expect(marked.body.messages[0].readAt).not.toBeNull()
    expect(await c.next((f) => f.stream === stream && f.type === 'read')).toMatchObject({ offset: 2 })
    expect(
      (await call('GET', '/notifications/v1/subscribers/ann/inbox/count', undefined, mine)).body,
    ).toEqual({ unread: 0, unseen: 0, total: 1 })

    // Cut: two messages and an archive happen while away; the resume from offset 2 gets exactly them.
    await c.close()
    for (const n of [2, 3])
      await call('POST', '/notifications/v1/events/trigger', { name: 'ping', to: 'ann', payload: { n } })
    await waitFor('two more messages', async () => (await inbox('ann')).length === 3, 60_000)
    await call('POST', '/notifications/v1/subscribers/ann/inbox/mark', {
      as: 'archived',
      ids: [first.message.id],
    })
    c = await LiveWsClient.connect(url, token)
    await c.request({ type: 'subscribe', stream, after: 2 })
    await waitFor('the missed events', () => c.events(stream).length >= 3, 30_000)
    const missed = c.events(stream)
    expect(missed.map((e: { offset: number }) => e.offset)).toEqual([3, 4, 5])
    expect(missed.map((e: { type: string }) => e.type)).toEqual(['message', 'message', 'archived'])
    expect(
      missed
        .slice(0, 2)
        .map((e: { message: { body: string } }) => e.message.body)
        .sort(),
    ).toEqual(['ping 2', 'ping 3'])
    expect((await call('GET', '/notifications/v1/subscribers/ann/inbox/count')).body).toEqual({
      unread: 2,
      unseen: 2,
      total: 2,
    })
    const archived = await call('GET', '/notifications/v1/subscribers/ann/inbox?archived=true')
    expect(archived.body.messages.map((m: { body: string }) => m.body)).toEqual(['ping 1'])
    await c.close()
  }, 120_000)

  it('fans a topic trigger out to its members, each once', async () => {
    expect((await call('PUT', '/notifications/v1/topics/team', { name: 'Team' })).status).toBe(201)
    expect(
      (await call('POST', '/notifications/v1/topics/team/subscribers', { subscribers: ['bob', 'cy', 'bob'] }))
        .body.added,
    ).toBe(2)
    const r = await call('POST', '/notifications/v1/events/trigger', {
      name: 'ping',
      to: { topic: 'team' },
      payload: { n: 'all' },
    })
    expect(r.body.recipients).toBe(2)
    await waitFor(
      'both inboxes',
      async () => (await inbox('bob')).length === 1 && (await inbox('cy')).length === 1,
      60_000,
    )
    expect((await inbox('ann')).some((m) => m.body === 'ping all')).toBe(false)
  }, 120_000)

  it('branches on whether an earlier in-app message was read', async () => {
    await call('PUT', '/notifications/v1/workflows/nudge', {
      steps: [
        { channel: 'in_app', body: 'nudge {{payload.n}}' },
        { type: 'delay', ms: 20_000 },
        { type: 'branch', if: { unread: 0 } },
        { channel: 'in_app', body: 'reminder {{payload.n}}' },
      ],
    })
    const read = await call('POST', '/notifications/v1/events/trigger', {
      name: 'nudge',
      to: 'cy',
      payload: { n: 'a' },
    })
    const unread = await call('POST', '/notifications/v1/events/trigger', {
      name: 'nudge',
      to: 'cy',
      payload: { n: 'b' },
    })
    await waitFor(
      'both nudges',
      async () => (await inbox('cy')).filter((m) => m.body.startsWith('nudge')).length === 2,
      60_000,
    )
    const a = (await inbox('cy')).find((m) => m.body === 'nudge a')!
    await call('POST', '/notifications/v1/subscribers/cy/inbox/mark', { as: 'read', ids: [a.id] })
    // The precondition: the read came before the delay ended (20 s is long even on a loaded machine).
    const { rows: pending } = await app.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${app.config.dbSchemaPrefix}jobs.jobs WHERE payload->>'t' = $1 AND run_at > now()`,
      [read.body.transactionId],
    )
    expect(pending[0]!.n, 'the delayed step of the read run is still waiting').toBe(1)
    await waitFor(
      'the reminder of the unread one',
      async () => (await inbox('cy')).some((m) => m.body === 'reminder b'),
      60_000,
    )
    const runs = async (t: string) =>
      (await call('GET', `/notifications/v1/events/${t}`)).body.deliveries.map(
        (d: { step: number }) => d.step,
      )
    await waitFor('the read run finished', async () => {
      const { rows } = await app.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${app.config.dbSchemaPrefix}jobs.jobs WHERE payload->>'t' = $1 AND state IN ('waiting', 'active', 'failed')`,
        [read.body.transactionId],
      )
      return rows[0]!.n === 0
    })
    expect(await runs(read.body.transactionId)).toEqual([0])
    expect(await runs(unread.body.transactionId)).toEqual([0, 3])
  }, 120_000)
})
