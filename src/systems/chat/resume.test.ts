/**
 * Nothing acknowledged is lost: a client whose socket is cut while 1,000
 * messages are sent resumes from its last offset and ends with all of them,
 * in order, once. A slow consumer is told to resync instead of slowing the
 * room, and loses nothing either. The HTTP transports (SSE, long polling)
 * speak the same frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { startTcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, WsClient } from './testing.js'

const N = 1_000

/** Offsets of a room's message frames, in arrival order. */
function messageOffsets(frames: Json[], room: number): number[] {
  return frames.filter((f) => f.type === 'message' && f.room === room).map((f) => f.offset)
}

describe.each(backends())('resume and backpressure (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000', CHAT_SEND_BUFFER_BYTES: '4096' })
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  })
  afterAll(() => t?.close())

  it(`resumes after a socket cut mid-stream of ${N} messages: all of them, in order, once`, async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'stream', members: ['bob'] })).body.id
    const head = (await t.api('GET', `/rooms/${room}`, alice)).body.head
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(t.url).port))
    const viaProxy = `http://127.0.0.1:${proxy.port}`
    const writer = await WsClient.connect(t.url, alice)
    let reader = await WsClient.connect(viaProxy, bob)
    await reader.request({ type: 'subscribe', room, after: head })
    const received: Json[] = []
    // The writer keeps at most 100 frames in flight (the server queues 256 per connection).
    const writing = (async () => {
      for (let i = 0; i < N; i += 100) {
        for (let j = i; j < i + 100; j++) writer.send({ type: 'send', room, body: `m${j}`, cid: `c${j}` })
        await writer.next((f) => f.type === 'sent' && f.cid === `c${i + 99}`, 60_000)
      }
    })()
    // Cut the network once the reader is part-way through the stream.
    await waitFor(
      'the reader to be mid-stream',
      () => messageOffsets(reader.frames, room).length >= 50,
      30_000,
    )
    await proxy.stop()
    await waitFor('the cut to be seen', () => reader.closed !== undefined)
    received.push(...reader.frames.filter((f) => f.type === 'message'))
    const last = received.at(-1).offset
    expect(received.length).toBeLessThan(N)
    await proxy.start()
    // Resume from the last offset the client has, on a new connection.
    reader = await WsClient.connect(viaProxy, bob)
    await reader.request({ type: 'subscribe', room, after: last })
    await waitFor(
      'every message',
      () => received.length + messageOffsets(reader.frames, room).length >= N,
      60_000,
    )
    received.push(...reader.frames.filter((f) => f.type === 'message'))
    await writing
    expect(received.map((f) => f.body)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`))
    expect(received.map((f) => f.offset)).toEqual(Array.from({ length: N }, (_, i) => head + 1 + i))
    await Promise.all([writer.close(), reader.close(), proxy.stop()])
  }, 120_000)

  it('delivers what the bus lost: a node with no bus to the writer gets it from the sweep', async () => {
    // Two apps on one database and two separate buses (own memory bus, or own NATS prefix): nothing crosses
    // between them but PostgreSQL, as when a writer dies between its commit and its publish.
    const prefix = `t${uniqueId()}_`
    const env = { DB_SCHEMA_PREFIX: prefix, CHAT_MESSAGES_PER_SECOND: '100000', CHAT_SWEEP_MS: '100' }
    const writerNode = await chatApp(backend, env)
    const readerNode = await chatApp(backend, env)
    try {
      const w = await writerNode.token('wendy')
      const r = await readerNode.token('rita')
      const room = (await writerNode.api('POST', '/rooms', w, { name: 'lossy', members: ['rita'] })).body
      const reader = await WsClient.connect(readerNode.url, r)
      await reader.request({ type: 'subscribe', room: room.id })
      for (let i = 0; i < 20; i++)
        await writerNode.api('POST', `/rooms/${room.id}/messages`, w, { body: `s${i}` })
      await waitFor(
        'every message through the sweep',
        () => messageOffsets(reader.frames, room.id).length >= 20,
        20_000,
      )
      expect(messageOffsets(reader.frames, room.id)).toEqual(
        Array.from({ length: 20 }, (_, i) => room.head + 1 + i),
      )
      const metrics = await (await fetch(`${readerNode.url}/metrics`)).text()
      expect(metrics).toMatch(/chat_sweep_fills_total [1-9]/)
      await reader.close()
    } finally {
      await Promise.all([writerNode.close(), readerNode.close()])
    }
  })

  it('tells a slow long-poll consumer to resync, and it loses nothing', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'slow', members: ['bob'] })).body.id
    const head = (await t.api('GET', `/rooms/${room}`, alice)).body.head
    const session = (await t.api('POST', '/sessions', bob)).body.session
    await t.api('POST', `/sessions/${session}/frames`, bob, { v: 1, type: 'subscribe', room, after: head })
    // Nobody polls while 60 messages of ~200 bytes arrive: far past the 4 KiB buffer.
    for (let i = 0; i < 60; i++)
      await t.api('POST', `/rooms/${room}/messages`, alice, { body: `${'x'.repeat(150)} ${i}` })
    const got: Json[] = []
    let seq = 0
    let resync: Json
    const poll = async () => {
      const r = await t.api('GET', `/sessions/${session}/poll?after=${seq}&waitMs=2000`, bob)
      expect(r.status).toBe(200)
      seq = r.body.seq
      return r.body.frames as Json[]
    }
    for (const f of await poll()) {
      if (f.type === 'message') got.push(f)
      if (f.type === 'resync') resync = f
    }
    expect(resync).toMatchObject({ type: 'resync', rooms: { [room]: got.at(-1).offset } })
    expect(got.length).toBeLessThan(60)
    await t.api('POST', `/sessions/${session}/frames`, bob, {
      v: 1,
      type: 'subscribe',
      room,
      after: got.at(-1).offset,
    })
    while (got.length < 60) for (const f of await poll()) if (f.type === 'message') got.push(f)
    expect(got.map((f) => f.offset)).toEqual(Array.from({ length: 60 }, (_, i) => head + 1 + i))
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toMatch(/chat_resyncs_total [1-9]/)
  })

  it('serves the same frames over SSE with frames POSTed to the session', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'sse', members: ['bob'] })).body.id
    const controller = new AbortController()
    const res = await fetch(`${t.url}/chat/sse?access_token=${bob}`, { signal: controller.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const frames: Json[] = []
    const reader = res.body!.getReader()
    let buf = ''
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
        if (done) return
        buf += new TextDecoder().decode(value)
        let i = buf.indexOf('\n\n')
        while (i >= 0) {
          const chunk = buf.slice(0, i)
          buf = buf.slice(i + 2)
          for (const line of chunk.split('\n'))
            if (line.startsWith('data: ')) frames.push(JSON.parse(line.slice(6)))
          i = buf.indexOf('\n\n')
        }
      }
    })()
    await waitFor('hello', () => frames.some((f) => f.type === 'hello'))
    const session = frames[0].session
    const post = await t.api('POST', `/sessions/${session}/frames`, bob, [
      { v: 1, type: 'subscribe', room, id: 's' },
      { v: 1, type: 'send', room, body: 'over sse', id: 'm' },
      { v: 1, type: 'bogus' },
    ])
    expect(post).toMatchObject({ status: 202, body: { accepted: 3 } })
    await waitFor('the message', () => frames.some((f) => f.type === 'message' && f.body === 'over sse'))
    expect(frames.find((f) => f.id === 'm')).toMatchObject({ type: 'sent', room })
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: 'CHAT_UNKNOWN_TYPE' })
    // Another user cannot drive this session.
    expect((await t.api('POST', `/sessions/${session}/frames`, alice, { v: 1, type: 'ping' })).status).toBe(
      404,
    )
    controller.abort()
    await pump
  })

  it('serves long polling: waits for a frame, and acknowledges by sequence', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'poll', members: ['bob'] })).body.id
    const session = (await t.api('POST', '/sessions', bob)).body.session
    const first = (await t.api('GET', `/sessions/${session}/poll?after=0`, bob)).body
    expect(first.frames[0]).toMatchObject({ type: 'hello', session })
    await t.api('POST', `/sessions/${session}/frames`, bob, { v: 1, type: 'subscribe', room, id: 's' })
    const subscribed = (await t.api('GET', `/sessions/${session}/poll?after=${first.seq}`, bob)).body
    expect(subscribed.frames[0]).toMatchObject({ type: 'subscribed', id: 's' })
    const waiting = t.api('GET', `/sessions/${session}/poll?after=${subscribed.seq}`, bob)
    await t.api('POST', `/rooms/${room}/messages`, alice, { body: 'wake up' })
    const woke = (await waiting).body
    expect(woke.frames.map((f: Json) => f.body)).toEqual(['wake up'])
    // Polling again with an old sequence returns the frames not yet acknowledged.
    const again = (await t.api('GET', `/sessions/${session}/poll?after=${subscribed.seq}&waitMs=0`, bob)).body
    expect(again.frames.map((f: Json) => f.body)).toEqual(['wake up'])
    expect((await t.api('DELETE', `/sessions/${session}`, bob)).status).toBe(204)
    expect((await t.api('GET', `/sessions/${session}/poll`, bob)).status).toBe(404)
  })
})
