/**
 * Text PostgreSQL cannot store (U+0000, a lone UTF-16 surrogate) is refused where it enters, with a
 * 400 naming the field, on every transport: an `error` frame on the WebSocket, a 400 problem for SSE
 * and long-poll POSTs and REST. Good messages sent in the same turn are all stored: a bad one never
 * reaches, and never fails, the group commit (post-batch.test.ts shows the commit itself splitting).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, PollClient, SseClient, WsClient } from './testing.js'

const NUL = 'a\u0000b'
const LONE = 'a\ud800b'

describe.each(backends())('text PostgreSQL cannot store (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let room: number
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    alice = await t.token('alice')
    room = (await t.api('POST', '/rooms', alice, { name: 'text' })).body.id
    expect((await t.api('POST', `/rooms/${room}/messages`, alice, { body: 'first' })).status).toBe(201)
  })
  afterAll(() => t?.close())

  it('answers a bad field with an error frame naming it, and stores the good sends around it', async () => {
    const c = await WsClient.connect(t.url, alice)
    await c.request({ type: 'subscribe', room })
    const frames: [Record<string, unknown>, string][] = [
      [{ type: 'send', room, body: NUL }, 'body'],
      [{ type: 'send', room, body: LONE }, 'body'],
      [{ type: 'send', room, body: 'ok', cid: LONE }, 'cid'],
      [{ type: 'edit', room, message: 1, body: NUL }, 'body'],
      [{ type: 'react', room, message: 1, emoji: '\udc00' }, 'emoji'],
      [{ type: 'watch', users: ['bob', NUL] }, 'users[1]'],
      [{ type: 'refresh', token: NUL }, 'token'],
    ]
    for (const [frame, field] of frames) {
      const err = await c.request(frame)
      expect({ field, err }).toMatchObject({
        field,
        err: { type: 'error', code: 'UNSTORABLE_TEXT', status: 400, invalidParams: [{ name: field }] },
      })
    }
    // In one turn: 30 good sends with a bad one in the middle; the 30 are stored, in order.
    for (let i = 0; i < 31; i++) c.send({ type: 'send', room, body: i === 15 ? NUL : `g${i}`, id: `g${i}` })
    await waitFor('31 answers', () => c.frames.filter((f) => f.id?.startsWith('g')).length === 31)
    expect(c.frames.filter((f) => f.id?.startsWith('g') && f.type === 'error').map((f) => f.id)).toEqual([
      'g15',
    ])
    await waitFor(
      '30 messages',
      () => c.events(room).filter((f: Json) => f.body?.startsWith('g')).length === 30,
    )
    expect(c.frames.some((f) => f.code === 'CHAT_INTERNAL')).toBe(false)
    await c.close()
  })

  it('refuses a bad frame POSTed to an SSE or long-poll session with a 400 naming the field', async () => {
    const s = await SseClient.connect(t.url, alice)
    const p = await PollClient.open(t.url, alice)
    for (const post of [(f: unknown) => s.post(f), (f: unknown) => p.post(f)]) {
      const one = await post({ v: 1, type: 'send', room, body: NUL })
      expect(one).toMatchObject({
        status: 400,
        body: { code: 'UNSTORABLE_TEXT', invalidParams: [{ name: 'body' }] },
      })
      const many = await post([
        { v: 1, type: 'send', room, body: 'fine' },
        { v: 1, type: 'send', room, body: LONE },
      ])
      expect(many).toMatchObject({ status: 400, body: { invalidParams: [{ name: '[1].body' }] } })
    }
    s.close()
  })

  it('refuses bad text over REST with a 400 naming the field, never a 500', async () => {
    const calls: [string, string, unknown, string][] = [
      ['POST', `/rooms/${room}/messages`, { body: NUL }, 'body'],
      ['POST', `/rooms/${room}/messages`, { body: 'x', cid: LONE }, 'cid'],
      ['PATCH', `/rooms/${room}/messages/1`, { body: LONE }, 'body'],
      ['PUT', `/rooms/${room}/messages/1/reactions/${encodeURIComponent('\u0000')}`, undefined, 'emoji'],
      ['POST', '/rooms', { name: NUL }, 'name'],
      ['GET', `/search?q=${encodeURIComponent(NUL)}`, undefined, 'q'],
    ]
    for (const [method, path, body, field] of calls) {
      const r = await t.api(method, path, alice, body)
      expect({ path, status: r.status, code: r.body?.code, field: r.body?.invalidParams?.[0]?.name }).toEqual(
        {
          path,
          status: 400,
          code: 'UNSTORABLE_TEXT',
          field,
        },
      )
    }
  })
})
