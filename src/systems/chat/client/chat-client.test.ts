/**
 * The client library against a real server, over a TCP proxy that cuts every connection: the
 * library reconnects by itself, resumes each room from its cursor (every event once, in order),
 * resends unanswered messages with their cid (each stored once), reports resumptions as recovered,
 * and says `recovered: false` when the server had fewer events than it saw.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { backends } from '../../../platform/testing/backends.js'
import { startTcpProxy, type TcpProxy } from '../../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, WsClient } from '../testing.js'
import { ChatSocket, type SocketLike } from './chat-client.js'
import type { RoomEvent } from './frames.js'

/** A library client for `token` through `port`, recording what it hands to the application. */
function client(port: number, token: string) {
  const events: RoomEvent[] = []
  const sent = new Map<string, number[]>()
  const subscribed: { room: number; resumed: boolean; recovered: boolean; after: number }[] = []
  const states: string[] = []
  const socket = new ChatSocket({
    url: () => `ws://127.0.0.1:${port}/chat/ws?access_token=${token}`,
    // Node 20 has no global WebSocket: the `ws` package's has the same shape.
    open: (url) => new WebSocket(url) as unknown as SocketLike,
    retryMs: () => 100,
    handlers: {
      event: (e) => events.push(e),
      frame: () => {},
      state: (s) => states.push(s),
      sent: (cid, _room, offset) => sent.set(cid, [...(sent.get(cid) ?? []), offset]),
      failed: (cid, _room, message) => {
        throw new Error(`${cid} failed: ${message}`)
      },
      subscribed: (room, info) => subscribed.push({ room, ...info }),
    },
  })
  return { socket, events, sent, subscribed, states }
}

describe.each(backends())('chat client library (%s)', (backend) => {
  let t: ChatTestApp
  let proxy: TcpProxy
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(t.url).port))
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  })
  afterAll(async () => {
    await proxy?.stop()
    await t?.close()
  })

  it('reconnects and resumes through cut sockets: every event once, in order; every send stored once', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'lib', members: ['bob'] })).body
    const c = client(proxy.port, bob)
    c.socket.subscribe(room.id, room.head)
    await waitFor('subscribed', () => c.subscribed.length === 1)
    expect(c.subscribed[0]).toMatchObject({ resumed: false, recovered: true })
    const writer = await WsClient.connect(t.url, alice)
    const N = 300
    const writing = (async () => {
      for (let i = 0; i < N; i += 25) {
        for (let j = i; j < i + 25; j++)
          writer.send({ type: 'send', room: room.id, body: `a${j}`, cid: `a${j}` })
        await writer.next((f) => f.type === 'sent' && f.cid === `a${i + 24}`)
      }
    })()
    // Bob sends too, and the network cuts his socket three times while both write.
    const mine = Array.from({ length: 30 }, (_, i) => `b${i}`)
    for (let cut = 0; cut < 3; cut++) {
      for (const cid of mine.slice(cut * 10, cut * 10 + 10)) c.socket.send(room.id, cid, cid)
      await waitFor('more events', () => c.events.length >= (cut + 1) * 60, 20_000)
      await proxy.stop()
      await proxy.start()
      // One resumption per cut: the next cut waits for it.
      await waitFor('resubscribed', () => c.subscribed.length >= cut + 2, 20_000)
    }
    await writing
    await waitFor('everything', () => c.events.length >= N + 30 && c.sent.size === 30, 30_000)
    const offsets = c.events.map((e) => e.offset)
    expect(offsets).toEqual(Array.from({ length: N + 30 }, (_, i) => room.head + 1 + i))
    const bodies = c.events.map((e) => (e.type === 'message' ? e.body : ''))
    expect(bodies.filter((b) => b.startsWith('a'))).toEqual(Array.from({ length: N }, (_, i) => `a${i}`))
    expect(bodies.filter((b) => b.startsWith('b')).sort()).toEqual([...mine].sort())
    // Each of bob's messages answered (possibly again after a resend) with one offset.
    for (const cid of mine) expect(new Set(c.sent.get(cid)).size).toBe(1)
    // It reconnected, and each resumption recovered everything.
    expect(c.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3)
    const resumed = c.subscribed.filter((s) => s.resumed)
    expect(resumed.length).toBeGreaterThanOrEqual(3)
    expect(resumed.every((s) => s.recovered)).toBe(true)
    c.socket.close()
    await writer.close()
  }, 90_000)

  it('says recovered: false when the server has fewer events than the client saw', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'reset', members: ['bob'] })).body
    const c = client(proxy.port, bob)
    // A cursor past the head: what a client sees after the server's data was reset.
    c.socket.subscribe(room.id, room.head + 50)
    await waitFor('subscribed from the head', () => c.subscribed.length === 1)
    expect(c.subscribed[0]).toMatchObject({ after: room.head, recovered: false })
    await t.api('POST', `/rooms/${room.id}/messages`, alice, { body: 'after the reset' })
    await waitFor('the new message', () => c.events.length === 1)
    expect(c.events[0]).toMatchObject({ offset: room.head + 1 })
    c.socket.close()
  })
})
