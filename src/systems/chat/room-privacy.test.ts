/**
 * Private rooms cannot be probed: a non-member gets the same 404 for a private room as for a room
 * that does not exist, whatever the transport (WebSocket, SSE + POST, long polling + POST, REST)
 * and whatever the operation. Public rooms stay visible: writing to one without joining is 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type ChatTestApp, chatApp, type Json, PollClient, SseClient, WsClient } from './testing.js'

const MISSING = 987_654

describe.each(backends())('room privacy (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let mallory: string
  let secret: number
  let lobby: number
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    ;[alice, mallory] = await Promise.all([t.token('alice'), t.token('mallory')])
    secret = (await t.api('POST', '/rooms', alice, { name: 'secret', kind: 'private' })).body.id
    lobby = (await t.api('POST', '/rooms', alice, { name: 'lobby', kind: 'public' })).body.id
    expect((await t.api('POST', `/rooms/${secret}/messages`, alice, { body: 'a secret' })).status).toBe(201)
  })
  afterAll(() => t?.close())

  /** Frames a non-member might try on a room, each answered with an error frame. */
  const probes = (room: number) => [
    { type: 'send', room, body: 'let me in' },
    { type: 'send', room, body: 'let me in', cid: 'probe-1' },
    { type: 'subscribe', room, after: 0 },
    { type: 'edit', room, message: 1, body: 'x' },
    { type: 'delete', room, message: 1 },
    { type: 'react', room, message: 1, emoji: 'x' },
    { type: 'read', room, offset: 1 },
    { type: 'typing', room, id: 'needs-an-answer' },
  ]

  /** The error frames for a private room and for a missing one, with the room ids masked. */
  const same = (secretAnswers: Json[], missingAnswers: Json[]) => {
    const mask = (f: Json, room: number) =>
      JSON.parse(
        JSON.stringify({ ...f, id: undefined, room: 'ROOM' }).replaceAll(`room ${room}`, 'room ROOM'),
      )
    expect(secretAnswers.map((f) => f.code)).toEqual(secretAnswers.map(() => 'CHAT_ROOM_NOT_FOUND'))
    expect(secretAnswers.map((f) => mask(f, secret))).toEqual(missingAnswers.map((f) => mask(f, MISSING)))
  }

  it('answers a non-member the same over the WebSocket', async () => {
    const m = await WsClient.connect(t.url, mallory)
    const ask = async (room: number) => {
      const out: Json[] = []
      for (const p of probes(room)) out.push(await m.request(p))
      return out
    }
    same(await ask(secret), await ask(MISSING))
    // A public room is visible: writing without joining is "not a member".
    expect(await m.request({ type: 'send', room: lobby, body: 'hi' })).toMatchObject({
      code: 'CHAT_NOT_A_MEMBER',
      status: 403,
    })
    await m.close()
  })

  it('answers a non-member the same over SSE + POST', async () => {
    const m = await SseClient.connect(t.url, mallory)
    const ask = async (room: number) => {
      const out: Json[] = []
      for (const p of probes(room)) out.push(await m.request(p))
      return out
    }
    same(await ask(secret), await ask(MISSING))
    m.close()
  })

  it('answers a non-member the same over long polling + POST', async () => {
    const m = await PollClient.open(t.url, mallory)
    const ask = async (room: number) => {
      const out: Json[] = []
      for (const p of probes(room)) out.push(await m.request(p))
      return out
    }
    same(await ask(secret), await ask(MISSING))
  })

  it('answers a non-member the same over REST', async () => {
    const calls = (room: number): [string, string, unknown?][] => [
      ['POST', `/rooms/${room}/messages`, { body: 'let me in' }],
      ['POST', `/rooms/${room}/messages`, { body: 'let me in', cid: 'probe-2' }],
      ['GET', `/rooms/${room}`],
      ['GET', `/rooms/${room}/messages`],
      ['GET', `/rooms/${room}/members`],
      ['GET', `/rooms/${room}/messages/1`],
      ['PATCH', `/rooms/${room}`, { name: 'mine' }],
      ['DELETE', `/rooms/${room}`],
      ['PUT', `/rooms/${room}/members/mallory`],
      ['DELETE', `/rooms/${room}/members/mallory`],
      ['PATCH', `/rooms/${room}/messages/1`, { body: 'x' }],
      ['DELETE', `/rooms/${room}/messages/1`],
      ['PUT', `/rooms/${room}/messages/1/reactions/x`],
      ['DELETE', `/rooms/${room}/messages/1/reactions/x`],
      ['PUT', `/rooms/${room}/read`, { offset: 1 }],
      ['GET', `/search?q=secret&room=${room}`],
    ]
    const ask = async (room: number) => {
      const out: Json[] = []
      for (const [method, path, body] of calls(room)) {
        const r = await t.api(method, path, mallory, body)
        out.push({
          call: `${method} ${path.replace(`/${room}`, '/ROOM').replace(`room=${room}`, 'room=ROOM')}`,
          status: r.status,
          ...r.body,
        })
      }
      return out
    }
    const a = await ask(secret)
    const b = await ask(MISSING)
    expect(a.map((r) => `${r.call} ${r.status}`)).toEqual(a.map((r) => `${r.call} 404`))
    const mask = (r: Json, room: number) =>
      JSON.parse(
        JSON.stringify({ ...r, instance: undefined, requestId: undefined }).replaceAll(
          `room ${room}`,
          'room ROOM',
        ),
      )
    expect(a.map((r) => mask(r, secret))).toEqual(b.map((r) => mask(r, MISSING)))
  })
})
