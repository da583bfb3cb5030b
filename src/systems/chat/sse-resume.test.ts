/**
 * SSE resumes with `Last-Event-ID`: every event's id names the session and each room's last
 * offset, so an EventSource that reconnects by itself (the network cut its stream while a room was
 * being written) gets every message after the last one it had, once and in order, without sending
 * `subscribe` again; and a stream resumed on another node (sharing the database) does the same.
 */
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { startTcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import {
  type ChatTestApp,
  chatApp,
  type Json,
  restClient,
  roomEvents,
  SseClient,
  WsClient,
} from './testing.js'

describe.each(backends())('SSE resume with Last-Event-ID (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  })
  afterAll(() => t?.close())

  it("resumes through EventSource's own reconnect after a cut, nothing lost or doubled", async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'sse-cut', members: ['bob'] })).body
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(t.url).port))
    const frames: Json[] = []
    const es = new EventSource(`http://127.0.0.1:${proxy.port}/chat/sse?access_token=${bob}`)
    es.onmessage = (e) => frames.push(JSON.parse(e.data))
    es.onerror = () => {}
    await waitFor('hello', () => frames.some((f) => f.type === 'hello'))
    const session = frames[0].session
    const posted = await restClient(t.url).api('POST', `/sessions/${session}/frames`, bob, {
      v: 1,
      type: 'subscribe',
      room: room.id,
      after: room.head,
      id: 's',
    })
    expect(posted.status).toBe(202)
    await waitFor('subscribed', () => frames.some((f) => f.id === 's'))
    const writer = await WsClient.connect(t.url, alice)
    const N = 300
    const writing = (async () => {
      for (let i = 0; i < N; i += 20) {
        for (let j = i; j < i + 20; j++)
          writer.send({ type: 'send', room: room.id, body: `m${j}`, cid: `c${j}` })
        await writer.next((f) => f.type === 'sent' && f.cid === `c${i + 19}`)
      }
    })()
    // Cut the stream mid-way; EventSource reconnects by itself with the last id it received.
    await waitFor('some messages', () => roomEvents(frames, room.id).length >= 50)
    await proxy.stop()
    await proxy.start()
    await writing
    await waitFor('every message', () => roomEvents(frames, room.id).length >= N, 30_000)
    const hellos = frames.filter((f) => f.type === 'hello')
    expect(hellos.length).toBeGreaterThanOrEqual(2)
    expect(hellos.at(-1)).toMatchObject({ session, resumed: true })
    const got = roomEvents(frames, room.id)
    expect(got.map((f) => f.body)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`))
    expect(got.map((f) => f.offset)).toEqual(Array.from({ length: N }, (_, i) => room.head + 1 + i))
    es.close()
    await writer.close()
    await proxy.stop()
  }, 60_000)

  it('resumes on another node from the id alone, and takes frames for the same session there', async () => {
    const env = {
      DB_SCHEMA_PREFIX: `t${uniqueId()}_`,
      CHAT_MESSAGES_PER_SECOND: '100000',
      CHAT_SWEEP_MS: '100',
    }
    const nodeA = await chatApp(backend, env)
    const nodeB = await chatApp(backend, env)
    try {
      const [w, r] = [await nodeA.token('wendy'), await nodeA.token('rita')]
      const room = (await nodeA.api('POST', '/rooms', w, { name: 'moving', members: ['rita'] })).body
      const first = await SseClient.connect(nodeA.url, r)
      await first.request({ type: 'subscribe', room: room.id, after: room.head })
      for (let i = 0; i < 10; i++) await nodeA.api('POST', `/rooms/${room.id}/messages`, w, { body: `a${i}` })
      await waitFor('10 on the first stream', () => first.events(room.id).length >= 10)
      first.close()
      for (let i = 0; i < 10; i++) await nodeA.api('POST', `/rooms/${room.id}/messages`, w, { body: `b${i}` })
      const second = await SseClient.connect(nodeB.url, r, { lastEventId: first.lastEventId })
      expect(second.frames[0]).toMatchObject({ type: 'hello', session: first.session, resumed: true })
      await waitFor('the other 10', () => second.events(room.id).length >= 10)
      const all = [...first.events(room.id), ...second.events(room.id)]
      expect(all.map((f) => f.body)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `a${i}`),
        ...Array.from({ length: 10 }, (_, i) => `b${i}`),
      ])
      // The session goes on on node B: frames POSTed there are answered on the new stream.
      expect(await second.request({ type: 'ping' }, 10_000)).toMatchObject({ type: 'pong' })
      // An id that is not ours starts a fresh session.
      const fresh = await SseClient.connect(nodeB.url, r, { lastEventId: 'garbage' })
      expect(fresh.frames[0].resumed).toBeUndefined()
      expect(fresh.session).not.toBe(first.session)
      second.close()
      fresh.close()
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()])
    }
  })
})
