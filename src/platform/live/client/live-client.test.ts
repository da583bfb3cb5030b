/**
 * The platform's live client against a real server (the live fixture system on `/live/ws`, v2),
 * through a TCP proxy that cuts its socket three times while three streams are written: it
 * reconnects by itself, resumes every stream from its cursor, and hands the application every
 * event once, in offset order, each resumption `recovered`; signals reach the application as
 * frames; a cursor past the server's head gives `recovered: false` and follows the head; and
 * several listeners share one socket (a console's pages), each hearing the connection's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type App, buildTestApp } from '../../testing/app.js'
import { backends, uniqueId } from '../../testing/backends.js'
import { call } from '../../testing/live.js'
import { liveFixture } from '../../testing/live-fixture.js'
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.js'
import { waitFor } from '../../testing/wait.js'
import {
  type ConnectionState,
  LiveSocket,
  type ServerFrame,
  type SocketLike,
  type SubscribedInfo,
} from './live-client.js'

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A client for `user` through `port`, recording what it hands to the application. */
function client(port: number, user: string) {
  const events = new Map<string, number[]>()
  const frames: ServerFrame[] = []
  const subscribed: (SubscribedInfo & { stream: string })[] = []
  const states: ConnectionState[] = []
  const socket = new LiveSocket({
    url: () => `ws://127.0.0.1:${port}/live/ws?access_token=fixture.${user}&v=2`,
    open: (url) => new WebSocket(url) as unknown as SocketLike,
    retryMs: () => 100,
    handlers: {
      event: (stream, e) => events.set(String(stream), [...(events.get(String(stream)) ?? []), e.offset]),
      frame: (f) => frames.push(f),
      state: (s) => states.push(s),
      subscribed: (stream, info) => subscribed.push({ stream: String(stream), ...info }),
    },
  })
  return { socket, events, frames, subscribed, states }
}

describe.each(backends())('the live client (%s)', (backend) => {
  let app: App
  let url: string
  let proxy: TcpProxy
  let nextBoard = Number(uniqueId().replace(/\D/g, '').slice(-6)) * 10
  const board = async () => {
    const id = ++nextBoard
    expect((await call(url, 'POST', '/live-fixture/boards', { id, owner: 'ann' })).status).toBe(201)
    return id
  }
  beforeAll(async () => {
    app = await buildTestApp(backend, { systems: [liveFixture] })
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(url).port))
  })
  afterAll(async () => {
    await proxy?.stop()
    await app?.close()
  })

  it('reconnects and resumes every stream through cut sockets: every event once, in order', async () => {
    const ids = [await board(), await board(), await board()]
    const c = client(proxy.port, 'ann')
    for (const id of ids) c.socket.subscribe(`live-fixture.board.${id}`, 0)
    await waitFor('subscribed', () => c.subscribed.length === 3)
    expect(c.subscribed.every((s) => !s.resumed && s.recovered)).toBe(true)
    const N = 240
    const writing = Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < N; i += 4)
          await call(url, 'POST', `/live-fixture/boards/${id}/notes`, {
            notes: range(i + 1, i + 4).map(String),
            by: 'w',
          })
      }),
    )
    const total = () => [...c.events.values()].reduce((n, e) => n + e.length, 0)
    for (let cut = 0; cut < 3; cut++) {
      await waitFor('more events', () => total() >= (cut + 1) * 120, 30_000)
      await proxy.stop()
      await proxy.start()
      // Every stream resumed once per cut before the next.
      await waitFor('resubscribed', () => c.subscribed.length >= 3 * (cut + 2), 20_000)
    }
    await writing
    await waitFor('everything', () => total() >= 3 * N, 30_000)
    for (const id of ids) expect(c.events.get(`live-fixture.board.${id}`)).toEqual(range(1, N))
    expect(c.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3)
    const resumed = c.subscribed.filter((s) => s.resumed)
    expect(resumed.length).toBeGreaterThanOrEqual(9)
    expect(resumed.every((s) => s.recovered)).toBe(true)
    // A signal of a stream it reads reaches the application as a frame, never as an event.
    await call(url, 'POST', `/live-fixture/boards/${ids[0]}/signal`, { text: 'hello' })
    await waitFor('the signal', () => c.frames.some((f) => f.type === 'poke'))
    expect(c.events.get(`live-fixture.board.${ids[0]}`)).toHaveLength(N)
    c.socket.close()
  }, 90_000)

  it('says recovered: false when the server has fewer events than the client saw', async () => {
    const id = await board()
    await call(url, 'POST', `/live-fixture/boards/${id}/notes`, { notes: ['1', '2'], by: 'w' })
    const c = client(proxy.port, 'ann')
    // A cursor past the head: what a client sees after the server's data was reset.
    c.socket.subscribe(`live-fixture.board.${id}`, 50)
    await waitFor('subscribed from the head', () => c.subscribed.length === 1)
    expect(c.subscribed[0]).toMatchObject({ after: 2, recovered: false })
    await call(url, 'POST', `/live-fixture/boards/${id}/notes`, { notes: ['3'], by: 'w' })
    await waitFor('the new event', () => c.events.get(`live-fixture.board.${id}`)?.length === 1)
    expect(c.events.get(`live-fixture.board.${id}`)).toEqual([3])
    c.socket.close()
  })

  it('shares one socket between listeners, each hearing the state and the events', async () => {
    const id = await board()
    const first = client(proxy.port, 'ann')
    await waitFor('live', () => first.states.includes('live'))
    const second: { states: ConnectionState[]; events: number[] } = { states: [], events: [] }
    const detach = first.socket.attach({
      event: (_s, e) => second.events.push(e.offset),
      frame: () => {},
      state: (s) => second.states.push(s),
    })
    expect(second.states).toEqual(['live'])
    first.socket.subscribe(`live-fixture.board.${id}`, 0)
    await waitFor('subscribed', () => first.subscribed.length === 1)
    await call(url, 'POST', `/live-fixture/boards/${id}/notes`, { notes: ['1', '2'], by: 'w' })
    await waitFor(
      'both heard',
      () => second.events.length === 2 && first.events.get(`live-fixture.board.${id}`)?.length === 2,
    )
    detach()
    await call(url, 'POST', `/live-fixture/boards/${id}/notes`, { notes: ['3'], by: 'w' })
    await waitFor('the first heard', () => first.events.get(`live-fixture.board.${id}`)?.length === 3)
    expect(second.events).toEqual([1, 2])
    first.socket.close()
  })
})
