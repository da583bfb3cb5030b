/**
 * The live library as a system uses it, on the platform's endpoint (`/live/ws`), with the fixture
 * system's boards (`live-fixture.board.<id>`: an authorization callback, its own history table):
 * a stream is read from any offset, then live, each event once and in order; a cut connection
 * resumes from the client's offsets with nothing lost or doubled; one connection carries several
 * streams; a private stream is the same 404 as a missing one; events the Bus never carried are
 * filled by the sweep; signals and the end of a stream reach the readers. On the embedded adapters
 * and, under TEST_SERVICES=1, on PostgreSQL and NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from '../testing/app.js'
import { backends, uniqueId } from '../testing/backends.js'
import { call, type LiveJson, LiveWsClient } from '../testing/live.js'
import { liveFixture } from '../testing/live-fixture.js'
import { startTcpProxy } from '../testing/tcp-proxy.js'
import { waitFor } from '../testing/wait.js'

let nextBoard = Number(uniqueId().replace(/\D/g, '').slice(-6)) * 100

/** A fresh board of `owner`'s. */
async function board(url: string, owner: string, isPrivate = false): Promise<number> {
  const id = ++nextBoard
  const r = await call(url, 'POST', '/live-fixture/boards', { id, owner, private: isPrivate })
  expect(r.status).toBe(201)
  return id
}

/** Write `n` notes to board `id` in calls of `per` (each call one transaction). */
async function write(url: string, id: number, n: number, per = 10, publish = true): Promise<void> {
  for (let i = 0; i < n; i += per) {
    const notes = Array.from({ length: Math.min(per, n - i) }, (_, j) => `n${i + j + 1}`)
    const r = await call(url, 'POST', `/live-fixture/boards/${id}/notes`, { notes, by: 'writer', publish })
    expect(r.status).toBe(201)
  }
}

const offsets = (events: LiveJson[]) => events.map((e) => e.offset)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe.each(backends())('live streams of a system on /live (%s)', (backend) => {
  let app: App
  let url: string
  beforeAll(async () => {
    app = await buildTestApp(backend, { systems: [liveFixture], env: { LIVE_FIXTURE_SWEEP_MS: '100' } })
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
  })
  afterAll(() => app?.close())

  it('replays a stream from an offset, then goes live, each event once and in order (v1 and v2)', async () => {
    const id = await board(url, 'ann')
    await write(url, id, 30)
    for (const v of [1, 2]) {
      const c = await LiveWsClient.connect(url, 'fixture.ann', { v })
      const stream = `live-fixture.board.${id}`
      const ok = await c.request({ type: 'subscribe', stream, after: 10 })
      expect(ok).toMatchObject({ type: 'subscribed', stream, after: 10, head: 30 + (v - 1) * 20 })
      await write(url, id, 20, 5)
      const head = 50 + (v - 1) * 20
      await waitFor('every event', () => c.events(stream).length >= head - 10)
      expect(offsets(c.events(stream))).toEqual(range(11, head))
      expect(c.events(stream)[0]).toMatchObject({ stream, v: 1, type: 'note', board: id, note: 'n11' })
      if (v === 2) expect(c.frames.some((f) => f.type === 'batch' && f.stream === stream)).toBe(true)
      else expect(c.frames.some((f) => f.type === 'batch')).toBe(false)
      await c.close()
    }
  })

  it('answers a private stream of someone else as it answers a missing one, naming the stream', async () => {
    const mine = await board(url, 'ann', true)
    const c = await LiveWsClient.connect(url, 'fixture.bob')
    const hidden = await c.request({ type: 'subscribe', stream: `live-fixture.board.${mine}` })
    const missing = await c.request({ type: 'subscribe', stream: 'live-fixture.board.999999999' })
    expect(hidden).toMatchObject({ type: 'error', code: 'LIVE_FIXTURE_BOARD_NOT_FOUND', status: 404 })
    expect({ ...hidden, id: 0, stream: 0, message: 0 }).toEqual({ ...missing, id: 0, stream: 0, message: 0 })
    expect(hidden.stream).toBe(`live-fixture.board.${mine}`)
    const owner = await LiveWsClient.connect(url, 'fixture.ann')
    expect(await owner.request({ type: 'subscribe', stream: `live-fixture.board.${mine}` })).toMatchObject({
      type: 'subscribed',
    })
    for (const stream of ['chat.room.1', 'live-fixture.board.abc', 'nope', 7])
      expect(await c.request({ type: 'subscribe', stream })).toMatchObject({
        type: 'error',
        code: 'LIVE_MALFORMED_FRAME',
      })
    await Promise.all([c.close(), owner.close()])
  })

  it('carries several streams on one connection and resumes all of them after a cut, nothing lost or doubled', async () => {
    const ids = [await board(url, 'ann'), await board(url, 'ann'), await board(url, 'ann')]
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(url).port))
    const via = `http://127.0.0.1:${proxy.port}`
    let c = await LiveWsClient.connect(via, 'fixture.ann', { v: 2 })
    for (const id of ids) await c.request({ type: 'subscribe', stream: `live-fixture.board.${id}`, after: 0 })
    const writing = Promise.all(ids.map((id) => write(url, id, 150, 3)))
    const first = `live-fixture.board.${ids[0]}`
    await waitFor('the reader mid-stream', () => c.events(first).length >= 20, 30_000)
    await proxy.stop()
    await waitFor('the cut', () => c.closed !== undefined)
    const got = new Map(ids.map((id) => [id, c.events(`live-fixture.board.${id}`)]))
    await proxy.start()
    c = await LiveWsClient.connect(via, 'fixture.ann', { v: 2 })
    for (const id of ids) {
      const had = got.get(id)!
      await c.request({
        type: 'subscribe',
        stream: `live-fixture.board.${id}`,
        after: had.at(-1)?.offset ?? 0,
      })
    }
    await writing
    for (const id of ids) {
      const stream = `live-fixture.board.${id}`
      await waitFor('the rest of every stream', () => got.get(id)!.length + c.events(stream).length >= 150)
      expect(offsets([...got.get(id)!, ...c.events(stream)])).toEqual(range(1, 150))
    }
    await c.close()
    await proxy.stop()
  })

  it('fills from the history what was committed and never published (the sweep)', async () => {
    const id = await board(url, 'ann')
    const stream = `live-fixture.board.${id}`
    const c = await LiveWsClient.connect(url, 'fixture.ann')
    await c.request({ type: 'subscribe', stream, after: 0 })
    // Committed, never published: only the sweep (history heads against the feed's) can find them.
    await write(url, id, 5, 5, false)
    await waitFor('the sweep to fill the stream', () => c.events(stream).length >= 5)
    // Published after an unpublished commit: ahead of a gap, which is read from the history at once.
    await write(url, id, 5, 5, false)
    await write(url, id, 5, 5, true)
    await waitFor('the gap fill', () => c.events(stream).length >= 15)
    expect(offsets(c.events(stream))).toEqual(range(1, 15))
    await c.close()
  })

  it("delivers signals to a stream's readers (not to the user they exclude) and ends a deleted stream", async () => {
    const id = await board(url, 'ann')
    const stream = `live-fixture.board.${id}`
    const ann = await LiveWsClient.connect(url, 'fixture.ann')
    const bob = await LiveWsClient.connect(url, 'fixture.bob')
    for (const c of [ann, bob]) await c.request({ type: 'subscribe', stream })
    expect(
      (await call(url, 'POST', `/live-fixture/boards/${id}/signal`, { text: 'hi', except: 'ann' })).status,
    ).toBe(202)
    // A signal names its stream in `signal` (an event in `stream`): a client never counts it by offset.
    expect(await bob.next((f) => f.type === 'poke')).toEqual({
      signal: stream,
      v: 1,
      type: 'poke',
      board: id,
      text: 'hi',
    })
    await call(url, 'POST', `/live-fixture/boards/${id}/signal`, { text: 'all' })
    await ann.next((f) => f.type === 'poke' && f.text === 'all')
    expect(ann.frames.filter((f) => f.type === 'poke').map((f) => f.text)).toEqual(['all'])
    await call(url, 'DELETE', `/live-fixture/boards/${id}`)
    for (const c of [ann, bob])
      expect(await c.next((f) => f.type === 'unsubscribed')).toMatchObject({ stream, reason: 'deleted' })
    await Promise.all([ann.close(), bob.close()])
  })

  it('refuses a token no system accepts, and frames it does not know', async () => {
    const refused = await LiveWsClient.connect(url, 'not-a-token')
    await waitFor('the close', () => refused.closed !== undefined)
    expect(refused.frames[0]).toMatchObject({ type: 'error', status: 401 })
    expect(refused.closed?.code).toBe(4401)
    const c = await LiveWsClient.connect(url, 'fixture.ann')
    expect(await c.request({ type: 'send', stream: `live-fixture.board.1`, body: 'x' })).toMatchObject({
      code: 'LIVE_UNKNOWN_TYPE',
    })
    expect(await c.request({ type: 'subscribe', v: 3 })).toMatchObject({ code: 'LIVE_UNSUPPORTED_VERSION' })
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
    await c.close()
  })
})
