/**
 * Protocol v2: a client that asks for it (`?v=2`) gets the events one commit
 * wrote to a room in one `batch` frame, and a replay in batch frames; a v1
 * client in the same room keeps getting one frame per event and never sees a
 * `batch`. Either way each offset arrives once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, roomEvents, WsClient } from './testing.js'

/** Open a long-poll session (asking for protocol `v`) and post `frames` to it in one request. */
async function postFrames(t: ChatTestApp, token: string, frames: unknown[], v?: number): Promise<string> {
  const opened = await t.api('POST', `/sessions${v ? `?v=${v}` : ''}`, token)
  expect(opened.status).toBe(201)
  const posted = await t.api('POST', `/sessions/${opened.body.session}/frames`, token, frames)
  expect(posted.status).toBe(202)
  return opened.body.session
}

/** The offsets of `events`, which must be consecutive from `from`. */
function expectConsecutive(events: Json[], from: number, n: number): void {
  expect(events.map((e) => e.offset)).toEqual(Array.from({ length: n }, (_, i) => from + i))
}

describe.each(backends())('chat protocol v2 (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  })
  afterAll(() => t?.close())

  it('says which version it speaks, and takes v2 frames only on a v2 connection', async () => {
    const v2 = await WsClient.connect(t.url, bob, true, 2)
    const v1 = await WsClient.connect(t.url, bob)
    const newer = await WsClient.connect(t.url, bob, true, 7)
    expect(v2.frames[0]).toMatchObject({ v: 1, type: 'hello', protocol: 2 })
    expect(v1.frames[0]).toMatchObject({ v: 1, type: 'hello', protocol: 1 })
    // A client newer than the server is answered with what the server speaks.
    expect(newer.frames[0]).toMatchObject({ type: 'hello', protocol: 2 })
    expect(await v2.request({ v: 2, type: 'ping' })).toMatchObject({ type: 'pong' })
    expect(await v1.request({ v: 2, type: 'ping' })).toMatchObject({
      type: 'error',
      code: 'CHAT_UNSUPPORTED_VERSION',
    })
    expect(await v2.request({ v: 3, type: 'ping' })).toMatchObject({ code: 'CHAT_UNSUPPORTED_VERSION' })
    await Promise.all([v2.close(), v1.close(), newer.close()])
  })

  it('delivers one commit as one batch frame to v2 clients and frame by frame to v1 clients', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'batches', members: ['bob'] })).body
    const v2 = await WsClient.connect(t.url, bob, true, 2)
    const v1 = await WsClient.connect(t.url, bob)
    await v2.request({ type: 'subscribe', room: room.id })
    await v1.request({ type: 'subscribe', room: room.id })
    // Frames of one POST are queued in one turn of the event loop, so they commit in one call.
    const n = 20
    const sends = Array.from({ length: n }, (_, i) => ({ v: 1, type: 'send', room: room.id, body: `m${i}` }))
    await postFrames(t, alice, sends)
    await waitFor(
      'every event on both',
      () => v2.events(room.id).length >= n && v1.events(room.id).length >= n,
    )
    expectConsecutive(v2.events(room.id), room.head + 1, n)
    expectConsecutive(v1.events(room.id), room.head + 1, n)
    const batches = v2.frames.filter((f) => f.type === 'batch')
    expect(batches.length).toBeGreaterThan(0)
    expect(batches.length).toBeLessThan(n)
    for (const b of batches) {
      expect(b).toMatchObject({ v: 2, room: room.id })
      expect(b.events.length).toBeGreaterThan(1)
      // The events inside are exactly the v1 frames.
      for (const e of b.events) expect(e).toMatchObject({ v: 1, type: 'message', room: room.id })
    }
    expect(v1.frames.filter((f) => f.type === 'batch')).toEqual([])
    expect(v1.events(room.id).map((e) => e.body)).toEqual(sends.map((s) => s.body))
    await Promise.all([v2.close(), v1.close()])
  })

  it('sends batch frames on the long-poll transport too', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'polled', members: ['bob'] })).body
    const session = await postFrames(t, bob, [{ v: 2, type: 'subscribe', room: room.id, id: 's' }], 2)
    const frames: Json[] = []
    let seq = 0
    const poll = async () => {
      const r = await t.api('GET', `/sessions/${session}/poll?after=${seq}&waitMs=200`, bob)
      frames.push(...r.body.frames)
      seq = r.body.seq
    }
    await waitFor('subscribed', async () => {
      await poll()
      return frames.some((f) => f.type === 'subscribed')
    })
    const n = 10
    await postFrames(
      t,
      alice,
      Array.from({ length: n }, (_, i) => ({ v: 1, type: 'send', room: room.id, body: `p${i}` })),
    )
    await waitFor('every event', async () => {
      await poll()
      return roomEvents(frames, room.id).length >= n
    })
    expectConsecutive(roomEvents(frames, room.id), room.head + 1, n)
    expect(frames.some((f) => f.type === 'batch')).toBe(true)
  })

  it('replays to a v2 client in batch frames, each offset once and in order', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'replayed', members: ['bob'] })).body
    const n = 120
    for (let i = 0; i < n; i += 40)
      await postFrames(
        t,
        alice,
        Array.from({ length: 40 }, (_, k) => ({ v: 1, type: 'send', room: room.id, body: `r${i + k}` })),
      )
    await waitFor('all stored', async () => {
      const r = await t.api('GET', `/rooms/${room.id}`, alice)
      return r.body.head >= room.head + n
    })
    const v2 = await WsClient.connect(t.url, bob, true, 2)
    // From 0: the room's two join events, then every message.
    await v2.request({ type: 'subscribe', room: room.id, after: 0 })
    const total = room.head + n
    await waitFor('the whole replay', () => v2.events(room.id).length >= total)
    expectConsecutive(v2.events(room.id), 1, total)
    const batches = v2.frames.filter((f) => f.type === 'batch')
    // 122 events in frames of at most 50.
    expect(batches.length).toBeGreaterThanOrEqual(3)
    for (const b of batches) expect(b.events.length).toBeLessThanOrEqual(50)
    await v2.close()
  })
})
