/**
 * Chat's rooms on the platform's live endpoint (`/live/ws`), beside another system's streams: the
 * fixture system of platform/live declares its own stream kind (boards, with an authorization
 * callback and its own history table), and one client connection, authenticated once with a chat
 * token, subscribes to a chat room and a board, gets both streams' events (each named by its
 * `stream`), is cut mid-stream, and resumes both from its offsets with nothing lost or doubled.
 * Chat's frames (`send`) work there too, answered as on `/chat/ws`; a private room stays a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { call, type LiveJson, LiveWsClient } from '../../platform/testing/live.js'
import { liveFixture } from '../../platform/testing/live-fixture.js'
import { startTcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import chat from './index.js'
import { restClient, WsClient } from './testing.js'

const N = 200
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const offsets = (events: LiveJson[]) => events.map((e) => e.offset)

describe.each(backends())(
  "chat's rooms and another system's streams on one /live connection (%s)",
  (backend) => {
    let app: App
    let url: string
    let api: ReturnType<typeof restClient>
    beforeAll(async () => {
      app = await buildTestApp(backend, {
        systems: [chat, liveFixture],
        env: { CHAT_MESSAGES_PER_SECOND: '100000', CHAT_SWEEP_MS: '100', LIVE_FIXTURE_SWEEP_MS: '100' },
      })
      await app.http.listen({ port: 0, host: '127.0.0.1' })
      url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
      api = restClient(url)
    })
    afterAll(() => app?.close())

    it('carries both streams, and resumes both after a cut with nothing lost or doubled', async () => {
      const [alice, bob] = await Promise.all([api.token('alice'), api.token('bob')])
      const room = (await api.api('POST', '/rooms', alice, { name: `r${uniqueId()}`, members: ['bob'] })).body
        .id
      const head = (await api.api('GET', `/rooms/${room}`, alice)).body.head
      const board = Number(uniqueId().replace(/\D/g, '').slice(-8)) + 1
      expect(
        (await call(url, 'POST', '/live-fixture/boards', { id: board, owner: 'bob', private: true })).status,
      ).toBe(201)
      const roomStream = `chat.room.${room}`
      const boardStream = `live-fixture.board.${board}`
      const proxy = await startTcpProxy('127.0.0.1', Number(new URL(url).port))
      const via = `http://127.0.0.1:${proxy.port}`
      // Bob, once, with his chat token: chat's check accepts it; the board's own callback lets him read his board.
      let bobLive = await LiveWsClient.connect(via, bob, { v: 2 })
      expect(bobLive.frames[0]).toMatchObject({ type: 'hello', user: 'bob', protocol: 2 })
      expect(await bobLive.request({ type: 'subscribe', stream: roomStream, after: head })).toMatchObject({
        type: 'subscribed',
        stream: roomStream,
      })
      expect(await bobLive.request({ type: 'subscribe', stream: boardStream, after: 0 })).toMatchObject({
        type: 'subscribed',
        stream: boardStream,
      })
      const writer = await WsClient.connect(url, alice)
      // The second half of each stream is written only once the cut happened (while Bob reconnects), so
      // the cut always falls mid-stream however fast the first half reaches him on a loaded machine.
      let markCut = () => {}
      const cut = new Promise<void>((resolve) => {
        markCut = resolve
      })
      const writing = Promise.all([
        (async () => {
          for (let i = 0; i < N; i += 50) {
            if (i === N / 2) await cut
            for (let j = i; j < i + 50; j++) writer.send({ type: 'send', room, body: `m${j}`, cid: `c${j}` })
            await writer.next((f) => f.type === 'sent' && f.cid === `c${i + 49}`, 60_000)
          }
        })(),
        (async () => {
          for (let i = 0; i < N; i += 5) {
            if (i === N / 2) await cut
            await call(url, 'POST', `/live-fixture/boards/${board}/notes`, {
              notes: range(i + 1, i + 5).map((k) => `note ${k}`),
              by: 'bob',
            })
          }
        })(),
      ])
      await waitFor(
        'bob mid-stream on both',
        () => bobLive.events(roomStream).length >= 20 && bobLive.events(boardStream).length >= 20,
        30_000,
      )
      await proxy.stop()
      await waitFor('the cut', () => bobLive.closed !== undefined)
      const had = { room: bobLive.events(roomStream), board: bobLive.events(boardStream) }
      expect(had.room.length).toBeLessThan(N)
      expect(had.board.length).toBeLessThan(N)
      markCut()
      await proxy.start()
      bobLive = await LiveWsClient.connect(via, bob, { v: 2 })
      await bobLive.request({ type: 'subscribe', stream: roomStream, after: had.room.at(-1).offset })
      await bobLive.request({ type: 'subscribe', stream: boardStream, after: had.board.at(-1).offset })
      await writing
      await waitFor(
        'every event of both streams',
        () =>
          had.room.length + bobLive.events(roomStream).length >= N &&
          had.board.length + bobLive.events(boardStream).length >= N,
        30_000,
      )
      const roomEvents = [...had.room, ...bobLive.events(roomStream)]
      expect(offsets(roomEvents)).toEqual(range(head + 1, head + N))
      expect(roomEvents.map((e) => e.body)).toEqual(range(0, N - 1).map((j) => `m${j}`))
      expect(roomEvents[0]).toMatchObject({ stream: roomStream, type: 'message', room, sender: 'alice' })
      const boardEvents = [...had.board, ...bobLive.events(boardStream)]
      expect(offsets(boardEvents)).toEqual(range(1, N))
      expect(boardEvents[0]).toMatchObject({ stream: boardStream, type: 'note', board, note: 'note 1' })
      await Promise.all([bobLive.close(), writer.close()])
      await proxy.stop()
    })

    it("takes chat's frames for a room, answered as on /chat/ws, and keeps private rooms and boards private", async () => {
      const [alice, mallory] = await Promise.all([api.token('alice'), api.token('mallory')])
      const room = (await api.api('POST', '/rooms', alice, { name: `p${uniqueId()}`, kind: 'private' })).body
        .id
      const live = await LiveWsClient.connect(url, alice)
      const stream = `chat.room.${room}`
      await live.request({ type: 'subscribe', stream })
      const sent = await live.request({ type: 'send', stream, body: 'over /live', cid: 'l-1' })
      expect(sent).toMatchObject({ type: 'sent', stream, cid: 'l-1', duplicate: false })
      const event = await live.next((f) => f.type === 'message' && f.cid === 'l-1')
      expect(event).toMatchObject({ stream, room, offset: sent.offset, body: 'over /live' })
      const intruder = await LiveWsClient.connect(url, mallory)
      expect(await intruder.request({ type: 'subscribe', stream })).toMatchObject({
        type: 'error',
        stream,
        code: 'CHAT_ROOM_NOT_FOUND',
        status: 404,
      })
      expect(await intruder.request({ type: 'send', stream, body: 'no' })).toMatchObject({
        code: 'CHAT_ROOM_NOT_FOUND',
      })
      const board = Number(uniqueId().replace(/\D/g, '').slice(-8)) + 2
      await call(url, 'POST', '/live-fixture/boards', { id: board, owner: 'alice', private: true })
      expect(
        await intruder.request({ type: 'subscribe', stream: `live-fixture.board.${board}` }),
      ).toMatchObject({
        code: 'LIVE_FIXTURE_BOARD_NOT_FOUND',
      })
      await Promise.all([live.close(), intruder.close()])
    })
  },
)
