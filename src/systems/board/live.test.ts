/**
 * Every viewer of a board receives its events as they commit, through platform/live with the
 * platform's own client over a real WebSocket: two members watch while cards are moved; the
 * second viewer's socket is cut (a TCP proxy) twice mid-run and resumes from its cursor. Both
 * end with every version once, in order, and a board rebuilt from the received events alone
 * equals the projection. A stranger cannot watch, and a removed member stops receiving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { LiveSocket, type SocketLike, type SubscribedInfo } from '../../platform/live/client/live-client.js'
import { backends } from '../../platform/testing/backends.js'
import { startTcpProxy, type TcpProxy } from '../../platform/testing/tcp-proxy.js'
import { waitFor } from '../../platform/testing/wait.js'
import type { BoardEvent } from './events/types.js'
import { layoutOf, replay } from './replay.js'
import { type BoardTestApp, boardApp, type Json, layout } from './testing.js'

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A viewer on `port` with `token`: the events it was handed, in order, and its (re)subscriptions. */
function viewer(port: number, token: string) {
  const events: Json[] = []
  const frames: Json[] = []
  const subscribed: SubscribedInfo[] = []
  const socket = new LiveSocket({
    url: () => `ws://127.0.0.1:${port}/live/ws?access_token=${token}&v=2`,
    open: (url) => new WebSocket(url) as unknown as SocketLike,
    retryMs: () => 100,
    handlers: {
      event: (_stream, e) => events.push(e),
      frame: (f) => frames.push(f),
      subscribed: (_stream, info) => subscribed.push(info),
      state: () => {},
    },
  })
  return { socket, events, frames, subscribed }
}

describe.each(backends())('board live viewers (%s)', (backend) => {
  let t: BoardTestApp
  let proxy: TcpProxy
  let alice: string
  let bob: string
  let eve: string
  beforeAll(async () => {
    t = await boardApp(backend)
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(t.url).port))
    ;[alice, bob, eve] = await Promise.all([t.token('alice'), t.token('bob'), t.token('eve')])
  }, 120_000)
  afterAll(async () => {
    await proxy?.stop()
    await t?.close()
  })

  it('two viewers get every event once, in order, one of them through two cut sockets', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Watched' })
    await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const lists = [
      (await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'A' })).id,
      (await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'B' })).id,
    ]
    const cards: string[] = []
    for (let i = 0; i < 6; i++)
      cards.push((await t.ok('POST', `/lists/${lists[i % 2]}/cards`, alice, { title: `c${i}` })).id)
    const port = Number(new URL(t.url).port)
    const direct = viewer(port, alice)
    const cut = viewer(proxy.port, bob)
    for (const v of [direct, cut]) v.socket.subscribe(`board.board.${b.id}`, 0)
    await waitFor('both subscribed', () => direct.subscribed.length === 1 && cut.subscribed.length === 1)
    const N = 90
    let done = 0
    const writing = (async () => {
      for (let i = 0; i < N; i += 3) {
        await Promise.all(
          range(i, i + 2).map((j) =>
            t.ok('POST', `/cards/${cards[j % 6]}/move`, j % 2 ? alice : bob, { listId: lists[(j + 1) % 2] }),
          ),
        )
        done += 3
      }
    })()
    for (let n = 1; n <= 2; n++) {
      await waitFor('more moves', () => done >= n * 30, 60_000)
      await proxy.stop()
      await proxy.start()
      await waitFor('resubscribed', () => cut.subscribed.length >= n + 1, 30_000)
    }
    await writing
    const head = 1 + 1 + 2 + 6 + N
    await waitFor('every event', () => direct.events.length >= head && cut.events.length >= head, 30_000)
    for (const v of [direct, cut]) {
      expect(v.events.map((e) => e.offset)).toEqual(range(1, head))
      expect(v.events.filter((e) => e.type === 'CardMoved')).toHaveLength(N)
    }
    expect(cut.subscribed.filter((s) => s.resumed).length).toBeGreaterThanOrEqual(2)
    expect(cut.subscribed.every((s) => s.recovered)).toBe(true)
    // What a viewer received is enough to rebuild the board: it equals the projection.
    const received = cut.events.map((e) => ({ ...e, version: e.offset })) as unknown as BoardEvent[]
    const view = await t.view(alice, b.id, head)
    expect(layout(view)).toEqual(layoutOf(replay(b.id, received)))
    direct.socket.close()
    cut.socket.close()
  }, 180_000)

  it('a stranger cannot watch; a removed member stops at the event that removed them; who views which card', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Members only' })
    await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const stranger = viewer(Number(new URL(t.url).port), eve)
    stranger.socket.subscribe(`board.board.${b.id}`, 0)
    await waitFor('refused', () => stranger.frames.some((f) => f.type === 'error'), 20_000)
    expect(stranger.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'BOARD_NOT_FOUND' })
    expect(stranger.events).toEqual([])
    stranger.socket.close()

    const member = viewer(Number(new URL(t.url).port), bob)
    member.socket.subscribe(`board.board.${b.id}`, 0)
    await waitFor('subscribed', () => member.subscribed.length === 1)
    const removed = await t.ok('DELETE', `/boards/${b.id}/members/bob`, alice)
    await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'after bob left' })
    await waitFor('the removal', () => member.events.some((e) => e.type === 'MemberRemoved'), 20_000)
    const watcher = viewer(Number(new URL(t.url).port), alice)
    watcher.socket.subscribe(`board.board.${b.id}`, 0)
    await waitFor('alice sees the list', () => watcher.events.some((e) => e.type === 'ListAdded'), 20_000)
    expect(member.events.at(-1)).toMatchObject({ type: 'MemberRemoved', offset: removed.version })
    // Presence: who is viewing which card reaches the other viewers as a signal (never an event).
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' })
    const c = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'open me' })
    const readded = await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const bobView = viewer(Number(new URL(t.url).port), bob)
    // From the version that re-added bob: a replay from 0 would stop at the event that removed him.
    bobView.socket.subscribe(`board.board.${b.id}`, readded.version)
    await waitFor('bob subscribed', () => bobView.subscribed.length === 1)
    const events = watcher.events.length
    expect((await t.api('PUT', `/boards/${b.id}/viewing`, alice, { cardId: c.id })).status).toBe(204)
    await waitFor('the viewing signal', () => bobView.frames.some((f) => f.type === 'viewing'), 20_000)
    expect(bobView.frames.find((f) => f.type === 'viewing')).toMatchObject({ user: 'alice', cardId: c.id })
    expect(watcher.frames.some((f) => f.type === 'viewing')).toBe(false)
    expect(watcher.events.length).toBe(events)
    expect((await t.api('PUT', `/boards/${b.id}/viewing`, eve, { cardId: null })).status).toBe(404)
    expect((await t.api('PUT', `/boards/${b.id}/viewing`, alice, { cardId: 'nope' })).status).toBe(404)
    member.socket.close()
    watcher.socket.close()
    bobView.socket.close()
  }, 120_000)
})
