/**
 * Tests only: a WebSocket stand-in the protocol client can be handed, that
 * records what the page sends and lets a test play the server (frames,
 * closes) one step at a time.
 */
import type { SocketLike } from './chat-socket'

export class FakeSocket implements SocketLike {
  readyState = 0
  readonly sent: Record<string, unknown>[] = []
  closedWith: number | undefined
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open')
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }

  close(code = 1000): void {
    this.closedWith = code
    this.readyState = 3
  }

  /** The server accepted the socket and said hello. */
  open(user = 'alice'): void {
    this.readyState = 1
    this.onopen?.({})
    this.frame({ type: 'hello', user, node: 'n1', limits: {} })
  }

  /** A frame from the server. */
  frame(f: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...f }) })
  }

  /** The connection ends (the server or the network closed it). */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  /** Frames sent of one type. */
  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type)
  }
}

/** A factory that keeps every socket it opened, newest last. */
export function fakeSockets() {
  const all: FakeSocket[] = []
  return {
    all,
    open: (url: string) => {
      const s = new FakeSocket(url)
      all.push(s)
      return s
    },
    get last(): FakeSocket {
      const s = all[all.length - 1]
      if (!s) throw new Error('no socket opened')
      return s
    },
  }
}

/**
 * A message event as the server sends it: on the platform's live endpoint (the console's page) it
 * names its stream (`chat.room.<id>`) in front of chat's own fields, which a client of `/chat/ws`
 * ignores.
 */
export function messageFrame(
  room: number,
  offset: number,
  sender: string,
  body: string,
  cid: string | null = null,
) {
  return {
    stream: `chat.room.${room}`,
    type: 'message',
    room,
    offset,
    sender,
    body,
    cid,
    parent: null,
    at: '2026-01-01T12:00:00.000Z',
  }
}
