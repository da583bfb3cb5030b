/**
 * The WebSocket transport: bad input answered with error frames (never a
 * crash, never a frame of another user's room), replay/live handoff,
 * presence, typing and read receipts, and membership changes.
 */
import fc from 'fast-check'
import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, WsClient } from './testing.js'

describe.each(backends())('chat over WebSocket (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let bob: string
  let mallory: string
  let general: number
  let secret: number
  beforeAll(async () => {
    t = await chatApp(backend, {
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_MAX_MESSAGE_BYTES: '1000',
      CHAT_MAX_FRAME_BYTES: '2048',
    })
    ;[alice, bob, mallory] = await Promise.all([t.token('alice'), t.token('bob'), t.token('mallory')])
    general = (await t.api('POST', '/rooms', alice, { name: 'general', members: ['bob'] })).body.id
    secret = (await t.api('POST', '/rooms', alice, { name: 'secret', kind: 'private', members: ['bob'] }))
      .body.id
  })
  afterAll(() => t?.close())

  it('delivers a sent message to subscribers, with its offset', async () => {
    const a = await WsClient.connect(t.url, alice)
    const b = await WsClient.connect(t.url, bob)
    expect(a.frames[0]).toMatchObject({ v: 1, type: 'hello', user: 'alice' })
    await b.request({ type: 'subscribe', room: general })
    const sent = await a.request({ type: 'send', room: general, body: 'hi bob', cid: 'hello-1' })
    expect(sent).toMatchObject({ type: 'sent', room: general, duplicate: false })
    const got = await b.next((f) => f.type === 'message' && f.offset === sent.offset)
    expect(got).toMatchObject({ v: 1, room: general, sender: 'alice', body: 'hi bob', cid: 'hello-1' })
    const again = await a.request({ type: 'send', room: general, body: 'hi bob', cid: 'hello-1' })
    expect(again).toMatchObject({ offset: sent.offset, duplicate: true })
    await settle(200)
    expect(b.events(general).filter((f) => f.cid === 'hello-1')).toHaveLength(1)
    await Promise.all([a.close(), b.close()])
  })

  it('answers every kind of bad input with an error frame and keeps the connection', async () => {
    const m = await WsClient.connect(t.url, mallory)
    const cases: [unknown, string][] = [
      ['{not json', 'CHAT_MALFORMED_FRAME'],
      ['[1,2]', 'CHAT_MALFORMED_FRAME'],
      ['null', 'CHAT_MALFORMED_FRAME'],
      [JSON.stringify({ v: 2, type: 'ping' }), 'CHAT_UNSUPPORTED_VERSION'],
      [{ type: 'explode' }, 'CHAT_UNKNOWN_TYPE'],
      [{ type: 'send', room: 'general', body: 'x' }, 'CHAT_MALFORMED_FRAME'],
      [{ type: 'send', room: general, body: '' }, 'CHAT_MALFORMED_FRAME'],
      [{ type: 'send', room: general, body: 'x'.repeat(1001) }, 'CHAT_MESSAGE_TOO_LARGE'],
      [{ type: 'send', room: general, body: 'x'.repeat(3000) }, 'CHAT_FRAME_TOO_LARGE'],
      [{ type: 'send', room: general, body: 'not a member' }, 'CHAT_NOT_A_MEMBER'],
      [{ type: 'send', room: secret, body: 'let me in' }, 'CHAT_ROOM_NOT_FOUND'],
      [{ type: 'subscribe', room: secret, after: 0 }, 'CHAT_ROOM_NOT_FOUND'],
      [{ type: 'subscribe', room: 999_999 }, 'CHAT_ROOM_NOT_FOUND'],
      [{ type: 'subscribe', room: general, after: 1_000_000 }, 'CHAT_OFFSET_FROM_FUTURE'],
      [{ type: 'subscribe', room: general, after: -1 }, 'CHAT_MALFORMED_FRAME'],
      [{ type: 'edit', room: general, message: 1, body: 'x' }, 'CHAT_NOT_A_MEMBER'],
      [{ type: 'typing', room: secret }, 'CHAT_ROOM_NOT_FOUND'],
      [{ type: 'read', room: secret, offset: 1 }, 'CHAT_ROOM_NOT_FOUND'],
      [{ type: 'presence', status: 'invisible' }, 'CHAT_MALFORMED_FRAME'],
      [{ type: 'auth', token: alice }, 'CHAT_INVALID_REQUEST'],
    ]
    for (const [frame, code] of cases) {
      const before = m.frames.length
      m.send(frame)
      const err = await m.next((f) => m.frames.indexOf(f) >= before && f.type === 'error')
      expect({ frame, code: err.code }).toEqual({ frame, code })
    }
    // Binary frames are refused the same way.
    m.ws.send(Buffer.from([1, 2, 3]))
    await m.next((f) => f.type === 'error' && f.message.includes('text'))
    expect((await m.request({ type: 'ping' })).type).toBe('pong')
    expect(m.closed).toBeUndefined()
    await m.close()
  })

  it('survives random frames and never shows mallory a private room (property)', async () => {
    const m = await WsClient.connect(t.url, mallory)
    const frame = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
        type: fc.oneof(
          fc.constantFrom(
            'subscribe',
            'send',
            'edit',
            'delete',
            'react',
            'read',
            'typing',
            'ack',
            'watch',
            'ping',
          ),
          fc.string(),
        ),
        id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
        room: fc.oneof(fc.constantFrom(general, secret, 0, -1, 2 ** 60), fc.anything()),
        after: fc.oneof(fc.nat(), fc.integer(), fc.anything()),
        offset: fc.oneof(fc.nat(), fc.anything()),
        message: fc.oneof(fc.nat(), fc.anything()),
        body: fc.oneof(fc.string(), fc.anything()),
        emoji: fc.string(),
        users: fc.oneof(fc.array(fc.string()), fc.anything()),
        status: fc.string(),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 10 }), async (frames) => {
        for (const f of frames) m.send(JSON.stringify(f))
        expect((await m.request({ type: 'ping' })).type).toBe('pong')
      }),
      { numRuns: 40 },
    )
    expect(m.closed).toBeUndefined()
    expect(m.frames.filter((f) => f.room === secret && f.type !== 'error')).toEqual([])
    expect(m.frames.some((f) => f.code === 'CHAT_INTERNAL')).toBe(false)
    await m.close()
  })

  it('refuses an invalid or expired token with an error frame and a close', async () => {
    const bad = await WsClient.connect(t.url, 'not-a-jwt', false)
    const err = await bad.next((f) => f.type === 'error')
    expect(err.code).toBe('CHAT_UNAUTHENTICATED')
    await waitFor('close', () => bad.closed !== undefined)
    expect(bad.closed!.code).toBe(4401)
    // A token signed with the system's own key, expired an hour ago.
    const db = t.app.systems[0]!.context.db
    const { rows } = await db.query<{ private_jwk: Json }>('SELECT private_jwk FROM signing_keys')
    const key = await importJWK(rows[0]!.private_jwk, 'EdDSA')
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: rows[0]!.private_jwk.kid })
      .setSubject('alice')
      .setIssuer('blueprints-chat')
      .setAudience('chat')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key)
    const old = await WsClient.connect(t.url, expired, false)
    expect((await old.next((f) => f.type === 'error')).message).toMatch(/expired/)
    // Without a token in the URL, the first frame must authenticate.
    const late = await WsClient.connect(t.url, undefined, false)
    late.send({ type: 'ping' })
    expect((await late.next((f) => f.type === 'error')).code).toBe('CHAT_UNAUTHENTICATED')
    const ok = await WsClient.connect(t.url, undefined, false)
    ok.send({ type: 'auth', token: bob })
    expect((await ok.next((f) => f.type === 'hello')).user).toBe('bob')
    await Promise.all([bad.close(), old.close(), late.close(), ok.close()])
  })

  it('hands off from replay to live without a gap or a duplicate while the room is busy', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'busy', members: ['bob'] })).body.id
    const writer = await WsClient.connect(t.url, alice)
    for (let i = 0; i < 100; i++) writer.send({ type: 'send', room, body: `before ${i}` })
    await writer.next((f) => f.type === 'sent' && f.offset === 102, 30_000)
    // Subscribe from the start while 100 more are being written.
    const reader = await WsClient.connect(t.url, bob)
    for (let i = 0; i < 100; i++) writer.send({ type: 'send', room, body: `during ${i}` })
    reader.send({ type: 'subscribe', room, after: 0 })
    await waitFor('all 202 events', () => reader.events(room).length >= 202, 30_000)
    await settle(200)
    const offsets = reader.events(room).map((f) => f.offset)
    expect(offsets).toEqual(Array.from({ length: 202 }, (_, i) => i + 1))
    await Promise.all([writer.close(), reader.close()])
  })

  it('shows presence, typing and read receipts', async () => {
    const a = await WsClient.connect(t.url, alice)
    await a.request({ type: 'subscribe', room: general })
    const watch = await a.request({ type: 'watch', users: ['bob', 'nobody'] })
    expect(watch).toMatchObject({ type: 'presence', users: { bob: 'offline', nobody: 'offline' } })
    const b = await WsClient.connect(t.url, bob)
    await a.next((f) => f.type === 'presence' && f.users.bob === 'online')
    await b.request({ type: 'presence', status: 'away' })
    await a.next((f) => f.type === 'presence' && f.users.bob === 'away')
    await b.request({ type: 'typing', room: general })
    expect(await a.next((f) => f.type === 'typing')).toMatchObject({ room: general, user: 'bob' })
    const sent = await a.request({ type: 'send', room: general, body: 'did you read this?' })
    const read = await b.request({ type: 'read', room: general, offset: sent.offset })
    expect(read).toMatchObject({ type: 'ok', lastRead: sent.offset })
    expect(await a.next((f) => f.type === 'receipt')).toMatchObject({
      room: general,
      user: 'bob',
      offset: sent.offset,
    })
    await b.close()
    await a.next((f) => f.type === 'presence' && f.users.bob === 'offline')
    // The typer does not see its own indicator.
    expect(b.frames.some((f) => f.type === 'typing')).toBe(false)
    await a.close()
  })

  it('stops delivering a room to a member who was removed', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'kick', kind: 'private', members: ['bob'] }))
      .body.id
    const b = await WsClient.connect(t.url, bob)
    await b.request({ type: 'subscribe', room })
    expect((await t.api('DELETE', `/rooms/${room}/members/bob`, alice)).status).toBe(204)
    await b.next((f) => f.type === 'unsubscribed' && f.room === room)
    await t.api('POST', `/rooms/${room}/messages`, alice, { body: 'after the kick' })
    await settle(300)
    expect(b.frames.some((f) => f.body === 'after the kick')).toBe(false)
    await b.close()
  })

  it('limits connections per user and writes per connection', async () => {
    const small = await chatApp(backend, {
      CHAT_MAX_CONNECTIONS_PER_USER: '2',
      CHAT_MESSAGES_PER_SECOND: '2',
    })
    try {
      const token = await small.token('erin')
      const room = (await small.api('POST', '/rooms', token, { name: 'r' })).body.id
      const c1 = await WsClient.connect(small.url, token)
      const c2 = await WsClient.connect(small.url, token)
      const c3 = await WsClient.connect(small.url, token, false)
      expect((await c3.next((f) => f.type === 'error')).code).toBe('CHAT_TOO_MANY_CONNECTIONS')
      for (let i = 0; i < 10; i++) c1.send({ type: 'send', room, body: `m${i}` })
      const limited = await c1.next((f) => f.type === 'error' && f.code === 'CHAT_RATE_LIMITED')
      expect(limited.retryAfterMs).toBeGreaterThan(0)
      // The burst (2x the rate) went through; the rest were refused, not queued.
      await settle(300)
      expect(c1.frames.filter((f) => f.type === 'sent').length).toBeLessThanOrEqual(5)
      await Promise.all([c1.close(), c2.close(), c3.close()])
    } finally {
      await small.close()
    }
  })
})
