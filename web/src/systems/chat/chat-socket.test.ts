import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatSocket, type ChatSocketHandlers, type ConnectionState } from './chat-socket'
import { fakeSockets, messageFrame } from './fake-socket'
import type { RoomEvent, ServerFrame } from './protocol'

/** A client on fake sockets, with everything it reports. */
function client(opts: { retryMs?: number } = {}) {
  const sockets = fakeSockets()
  const events: RoomEvent[] = []
  const frames: ServerFrame[] = []
  const states: ConnectionState[] = []
  const sent: [string, number][] = []
  const failed: [string, string][] = []
  const handlers: ChatSocketHandlers = {
    event: (e) => events.push(e),
    frame: (f) => frames.push(f),
    state: (s) => states.push(s),
    sent: (cid, _room, offset) => sent.push([cid, offset]),
    failed: (cid, _room, message) => failed.push([cid, message]),
  }
  const socket = new ChatSocket({
    url: () => 'ws://test/chat/ws?access_token=t',
    open: sockets.open,
    handlers,
    retryMs: () => opts.retryMs ?? 1_000,
    ackDelayMs: 100,
    pingEveryMs: 60_000,
  })
  return { socket, sockets, events, frames, states, sent, failed }
}

const offsets = (events: RoomEvent[]) => events.map((e) => `${e.room}:${e.offset}`)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('protocol client', () => {
  it('sends nothing before hello (the server drops it), then subscribes from the offset asked', () => {
    const c = client()
    c.socket.subscribe(7, 12)
    c.socket.send(7, 'early')
    expect(c.sockets.last.sent).toEqual([])
    c.sockets.last.open()
    expect(c.sockets.last.sent.map((f) => f.type)).toEqual(['subscribe', 'send'])
    expect(c.sockets.last.ofType('subscribe')[0]).toMatchObject({ v: 1, room: 7, after: 12 })
    expect(c.states).toEqual(['connecting', 'live'])
  })

  it('hands each offset to the page once, in order, and drops the overlap of a resubscription', () => {
    const c = client()
    c.socket.subscribe(1, 0)
    c.sockets.last.open()
    for (const o of [1, 2, 3]) c.sockets.last.frame(messageFrame(1, o, 'bob', `m${o}`))
    // The same events again (a replay overlapping what was live): dropped by offset.
    for (const o of [2, 3]) c.sockets.last.frame(messageFrame(1, o, 'bob', `m${o}`))
    c.sockets.last.frame(messageFrame(1, 4, 'bob', 'm4'))
    expect(offsets(c.events)).toEqual(['1:1', '1:2', '1:3', '1:4'])
    expect(c.socket.duplicatesDropped).toBe(2)
    // An event of a room we do not stream is not ours to show.
    c.sockets.last.frame(messageFrame(9, 1, 'bob', 'elsewhere'))
    expect(c.events).toHaveLength(4)
  })

  it('resumes every room from the last offset it delivered after the connection drops', () => {
    const c = client()
    c.socket.subscribe(1, 10)
    c.socket.subscribe(2, 0)
    c.sockets.last.open()
    c.sockets.last.frame(messageFrame(1, 11, 'bob', 'a'))
    c.sockets.last.frame(messageFrame(1, 12, 'bob', 'b'))
    c.sockets.last.frame(messageFrame(2, 1, 'bob', 'c'))
    c.sockets.last.drop(1006)
    expect(c.states.at(-1)).toBe('reconnecting')
    expect(c.sockets.all).toHaveLength(1)
    vi.advanceTimersByTime(1_000)
    expect(c.sockets.all).toHaveLength(2)
    c.sockets.last.open()
    expect(c.sockets.last.ofType('subscribe').map((f) => [f.room, f.after])).toEqual([
      [1, 12],
      [2, 1],
    ])
    // The server replays from there: the next offsets, once.
    c.sockets.last.frame(messageFrame(1, 13, 'alice', 'd'))
    expect(offsets(c.events)).toEqual(['1:11', '1:12', '2:1', '1:13'])
    expect(c.socket.cursorOf(1)).toBe(13)
  })

  it('sends an unanswered message again with the same cid after a reconnect, until `sent`', () => {
    const c = client()
    c.socket.subscribe(1, 0)
    c.sockets.last.open()
    const cid = c.socket.send(1, 'hello')
    const first = c.sockets.last.ofType('send')[0]!
    expect(first).toMatchObject({ room: 1, body: 'hello', cid })
    c.sockets.last.drop(1006)
    vi.advanceTimersByTime(1_000)
    c.sockets.last.open()
    const again = c.sockets.last.ofType('send')
    expect(again).toEqual([first])
    // The server had stored it before the drop: it answers with the first offset, marked duplicate.
    c.sockets.last.frame({ type: 'sent', id: first.id, room: 1, offset: 5, cid, duplicate: true })
    expect(c.sent).toEqual([[cid, 5]])
    c.sockets.last.drop(1006)
    vi.advanceTimersByTime(1_000)
    c.sockets.last.open()
    expect(c.sockets.last.ofType('send')).toEqual([])
  })

  it('retries a rate-limited send after the time the server gives, and reports a refused one', () => {
    const c = client()
    c.sockets.last.open()
    const cid = c.socket.send(1, 'too fast')
    const id = c.sockets.last.ofType('send')[0]!.id
    c.sockets.last.frame({
      type: 'error',
      id,
      code: 'CHAT_RATE_LIMITED',
      status: 429,
      message: 'slow',
      retryAfterMs: 300,
    })
    vi.advanceTimersByTime(299)
    expect(c.sockets.last.ofType('send')).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(c.sockets.last.ofType('send')).toHaveLength(2)
    c.sockets.last.frame({
      type: 'error',
      id,
      code: 'CHAT_NOT_A_MEMBER',
      status: 403,
      message: 'not a member',
    })
    expect(c.failed).toEqual([[cid, 'not a member']])
    // Answers to sends are the message's business, not a notice for the page.
    expect(c.frames).toEqual([])
  })

  it('asks again from its cursor on a gap or a resync, and ignores the old stream meanwhile', () => {
    const c = client()
    c.socket.subscribe(3, 4)
    c.sockets.last.open()
    c.sockets.last.frame({ type: 'subscribed', id: 'sub-3', room: 3, after: 4, head: 4 })
    c.sockets.last.frame(messageFrame(3, 5, 'bob', 'x'))
    c.sockets.last.frame(messageFrame(3, 7, 'bob', 'skipped 6'))
    c.sockets.last.frame(messageFrame(3, 8, 'bob', 'still old stream'))
    expect(c.sockets.last.ofType('subscribe').map((f) => f.after)).toEqual([4, 5])
    c.sockets.last.frame({ type: 'subscribed', id: 'sub-3', room: 3, after: 5, head: 8 })
    for (const o of [6, 7, 8]) c.sockets.last.frame(messageFrame(3, o, 'bob', `m${o}`))
    expect(offsets(c.events)).toEqual(['3:5', '3:6', '3:7', '3:8'])
    // Too slow a reader: the server dropped the subscription and says where it stopped.
    c.sockets.last.frame({ type: 'resync', rooms: { '3': 8 } })
    expect(c.sockets.last.ofType('subscribe').at(-1)).toMatchObject({ room: 3, after: 8 })
  })

  it('acknowledges once per room per burst, with the last offset', () => {
    const c = client()
    c.socket.subscribe(1, 0)
    c.sockets.last.open()
    for (const o of [1, 2, 3]) c.sockets.last.frame(messageFrame(1, o, 'bob', `m${o}`))
    expect(c.sockets.last.ofType('ack')).toEqual([])
    vi.advanceTimersByTime(100)
    expect(c.sockets.last.ofType('ack')).toEqual([{ v: 1, type: 'ack', room: 1, offset: 3 }])
  })

  it('restores presence, watched users and unsent read receipts on a new connection', () => {
    const c = client()
    c.sockets.last.open()
    c.socket.setPresence('away')
    c.socket.watch(['bob', 'carol', 'bob'])
    c.socket.watch(['carol', 'bob'])
    expect(c.sockets.last.ofType('watch')).toEqual([{ v: 1, type: 'watch', users: ['bob', 'carol'] }])
    c.sockets.last.drop(1001)
    c.socket.read(4, 9)
    c.socket.read(4, 8)
    vi.advanceTimersByTime(1_000)
    c.sockets.last.open()
    expect(c.sockets.last.sent.map((f) => f.type)).toEqual(['presence', 'watch', 'read'])
    expect(c.sockets.last.ofType('read')).toEqual([{ v: 1, type: 'read', room: 4, offset: 9 }])
  })

  it('gives up on a refused token (4401) instead of retrying forever', () => {
    const c = client()
    c.sockets.last.drop(4401, 'token expired')
    vi.advanceTimersByTime(60_000)
    expect(c.sockets.all).toHaveLength(1)
    expect(c.states.at(-1)).toBe('unauthorized')
  })

  it('closes a socket still connecting only once it opens, and never reconnects after close', () => {
    const c = client()
    const s = c.sockets.last
    c.socket.close()
    expect(s.closedWith).toBeUndefined()
    s.readyState = 1
    s.onopen?.({})
    expect(s.closedWith).toBe(1000)
    vi.advanceTimersByTime(60_000)
    expect(c.sockets.all).toHaveLength(1)
  })

  it('closes a connection that answers no ping, and reconnects', () => {
    const sockets = fakeSockets()
    const socket = new ChatSocket({
      url: () => 'ws://x',
      open: sockets.open,
      handlers: { event() {}, frame() {}, state() {}, sent() {}, failed() {} },
      retryMs: () => 10,
      pingEveryMs: 1_000,
    })
    sockets.last.open()
    vi.advanceTimersByTime(1_000)
    expect(sockets.last.ofType('ping')).toHaveLength(1)
    vi.advanceTimersByTime(1_000)
    expect(sockets.last.closedWith).toBe(4000)
    sockets.last.drop(4000)
    vi.advanceTimersByTime(10)
    expect(sockets.all).toHaveLength(2)
    socket.close()
  })
})
