/**
 * Heartbeats and the small promises of the protocol: `hello` announces the ping interval and the
 * timeout a client should use; the server pings WebSocket and SSE connections and closes a
 * WebSocket that stopped answering protocol pings; a client's `ping` is answered however busy or
 * rate-limited the connection is; a sender subscribed to its room gets `message` before `sent`
 * (as the README shows); an unsupported version is answered with every version spoken.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, SseClient, WsClient } from './testing.js'

describe.each(backends())('chat heartbeats and frame order (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let room: number
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_PING_INTERVAL_MS: '300', CHAT_MESSAGES_PER_SECOND: '1' })
    alice = await t.token('alice')
    room = (await t.api('POST', '/rooms', alice, { name: 'beats' })).body.id
  })
  afterAll(() => t?.close())

  it('announces the heartbeat in hello and pings WebSocket and SSE connections', async () => {
    const ws = await WsClient.connect(t.url, alice)
    expect(ws.frames[0].heartbeat).toEqual({ intervalMs: 300, timeoutMs: 10_300 })
    const sse = await SseClient.connect(t.url, alice)
    expect(sse.frames[0].heartbeat).toEqual({ intervalMs: 300, timeoutMs: 10_300 })
    await waitFor('3 pings on each', () =>
      [ws.frames, sse.frames].every((fs) => fs.filter((f: Json) => f.type === 'ping').length >= 3),
    )
    expect(ws.frames.find((f) => f.type === 'ping')).toEqual({ v: 1, type: 'ping' })
    // The browser (and ws) answer protocol pings by themselves: a live socket stays open.
    expect(ws.closed).toBeUndefined()
    await ws.close()
    sse.close()
  })

  it('closes a WebSocket that stopped answering protocol pings', async () => {
    const socket = new WebSocket(`${t.url.replace('http', 'ws')}/chat/ws?access_token=${alice}`, {
      autoPong: false,
    })
    const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)))
    let pings = 0
    socket.on('ping', () => pings++)
    // Closed after the second heartbeat finds the first one unanswered (abnormal closure: terminated).
    expect(await closed).toBe(1006)
    expect(pings).toBeGreaterThanOrEqual(1)
  })

  it('answers ping at once, however full the queue and the write limit', async () => {
    const c = await WsClient.connect(t.url, alice)
    // 1 write a second: nearly all of these sends are refused, and 600 frames overflow the queue.
    for (let i = 0; i < 600; i++) {
      c.send({ type: 'send', room, body: `flood ${i}`, id: `s${i}` })
      if (i % 20 === 0) c.send({ type: 'ping', id: `p${i}` })
    }
    await waitFor('every ping answered', () => c.frames.filter((f) => f.type === 'pong').length === 30)
    expect(c.frames.filter((f) => f.id?.startsWith('p') && f.type !== 'pong')).toEqual([])
    // The flood itself was limited (so the pings did compete with it).
    expect(c.frames.some((f) => f.code === 'CHAT_RATE_LIMITED')).toBe(true)
    await c.close()
  })

  it("sends a subscribed sender its message before the `sent` answer, as the README's example shows", async () => {
    const fast = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    try {
      const token = await fast.token('alice')
      const r = (await fast.api('POST', '/rooms', token, { name: 'order' })).body.id
      const c = await WsClient.connect(fast.url, token)
      await c.request({ type: 'subscribe', room: r })
      for (let i = 0; i < 30; i++) c.send({ type: 'send', room: r, body: `m${i}`, cid: `c${i}`, id: `m${i}` })
      await waitFor('30 answers', () => c.frames.filter((f) => f.type === 'sent').length === 30)
      for (let i = 0; i < 30; i++) {
        const message = c.frames.findIndex((f) => f.type === 'message' && f.cid === `c${i}`)
        const sent = c.frames.findIndex((f) => f.type === 'sent' && f.id === `m${i}`)
        expect({ i, before: message >= 0 && message < sent }).toEqual({ i, before: true })
      }
      await c.close()
    } finally {
      await fast.close()
    }
  })

  it('answers an unsupported version with every version the server speaks', async () => {
    const v1 = await WsClient.connect(t.url, alice)
    const v2 = await WsClient.connect(t.url, alice, true, 2)
    const e1 = await v1.request({ v: 3, type: 'ping' })
    expect(e1).toMatchObject({ code: 'CHAT_UNSUPPORTED_VERSION', versions: [1, 2], connection: 1 })
    expect(e1.message).toBe(
      'protocol v3 is not spoken on this connection: this server speaks v1 and v2, this connection speaks v1 (connect with ?v=2 for v2)',
    )
    const e2 = await v2.request({ v: 3, type: 'ping' })
    expect(e2).toMatchObject({ code: 'CHAT_UNSUPPORTED_VERSION', versions: [1, 2], connection: 2 })
    expect(e2.message).toContain('this server speaks v1 and v2')
    await Promise.all([v1.close(), v2.close()])
  })
})
