/**
 * The chat client library: one WebSocket to `/chat/ws`, kept open, that never
 * loses or repeats a room event. No dependencies, so it runs in the browser
 * (the console uses it) and in Node (Node 22+ has a global WebSocket; on Node
 * 20 pass `open: (url) => new WebSocket(url)` from the `ws` package). The
 * README's "Client library" shows how to use it.
 *
 * Reconnects with exponential backoff and jitter; resumes every room by
 * offset; reports each (re)subscription with a `recovered` flag (false when
 * the server could not give back everything after the cursor: its data was
 * reset); acknowledges what it showed (`ack`) and keeps each sent message
 * until the server's `sent`; refreshes its token over the open socket when the
 * server says it expires (`refreshToken`).
 *
 * Exactly-once comes from the offsets, not from the socket: for every room
 * it keeps the last offset it handed to the page (the cursor). Any later
 * (re)subscription asks for `after: cursor`, so a reconnect, a `resync` (we
 * read too slowly) or a server restart resumes where the page stopped, and
 * an event at or below the cursor (the overlap of a resubscription) is
 * dropped. Messages are sent with a client id (`cid`) and kept until the
 * server answers `sent`: after a reconnect they are sent again, and the
 * server recognises the cid, so a lost answer never makes a second message.
 */
import {
  type ClientFrame,
  isRoomEvent,
  parseServerFrame,
  type RoomEvent,
  type ServerFrame,
} from './frames.js'
import { type ChatSocketOptions, defaultRetryMs, type SocketLike } from './socket-options.js'

export * from './socket-options.js'

const OPEN = 1
const CONNECTING = 0
/** The server closes with 4000 + HTTP status; 4401 means the token is no good, so retrying is pointless. */
const UNAUTHORIZED_CLOSE = 4401
/** The server relays typing at most every 2 s per connection; sending more often only spends the rate limit. */
export const TYPING_EVERY_MS = 2_000

interface RoomCursor {
  cursor: number
  /** Subscribed at least once: the next subscription is a resume. */
  streamed: boolean
  /** The cursor was moved back to the server's head: the next `subscribed` is not a full recovery. */
  lost: boolean
  /** A resubscription is on its way: events beyond the cursor are the old stream's, not news. */
  resubscribing: boolean
}

interface Outgoing {
  frame: Extract<ClientFrame, { type: 'send' }>
  retry?: ReturnType<typeof setTimeout>
}

/** A client id for a message: unique enough per user and room, and not secret (so no secure context needed). */
export function newCid(): string {
  const bytes = new Uint8Array(6)
  crypto.getRandomValues(bytes)
  return `c${Date.now().toString(36)}${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

export class ChatSocket {
  private ws: SocketLike | undefined
  private live = false
  private closed = false
  private attempt = 0
  private readonly rooms = new Map<number, RoomCursor>()
  /** Sends not yet answered, by frame id, in the order the person typed them. */
  private readonly outbox = new Map<string, Outgoing>()
  private watching: string[] = []
  private status: 'online' | 'away' = 'online'
  private readonly lastTyping = new Map<number, number>()
  private readonly lastRead = new Map<number, number>()
  private readonly unsentReads = new Set<number>()
  private readonly acks = new Set<number>()
  private ackTimer: ReturnType<typeof setTimeout> | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private heardSincePing = true
  /** Events dropped because their offset was at or below the cursor (visible to tests and the curious). */
  duplicatesDropped = 0

  constructor(private readonly opts: ChatSocketOptions) {
    this.connect()
  }

  /** The offset the page has of `room` (what a resubscription resumes from). */
  cursorOf(room: number): number | undefined {
    return this.rooms.get(room)?.cursor
  }

  /**
   * Stream `room` from `after` on. A room already streaming keeps its cursor: its events since
   * then have reached the page, and asking again from an older offset would only repeat them.
   */
  subscribe(room: number, after: number): void {
    if (this.rooms.has(room)) return
    this.rooms.set(room, { cursor: after, resubscribing: false, streamed: false, lost: false })
    this.sendSubscribe(room)
  }

  unsubscribe(room: number): void {
    if (!this.rooms.delete(room)) return
    this.write({ type: 'unsubscribe', room })
  }

  /** Send a message; returns its cid. It is kept and sent again after a reconnect until answered. */
  send(room: number, body: string, cid: string = newCid(), parent?: number): string {
    const frame = {
      type: 'send' as const,
      room,
      body,
      cid,
      id: `s-${cid}`,
      ...(parent !== undefined && { parent }),
    }
    this.outbox.set(frame.id, { frame })
    this.write(frame)
    return cid
  }

  /**
   * Change the body of our message at `message`. Edits, deletes and reactions are not kept for a
   * reconnect (unlike sends): their result arrives as a room event, and a refusal as an `error` frame.
   */
  edit(room: number, message: number, body: string): void {
    this.write({ type: 'edit', room, message, body, id: `e-${room}-${message}` })
  }

  /** Delete the message at `message` (ours, or any as the room's owner). */
  delete(room: number, message: number): void {
    this.write({ type: 'delete', room, message, id: `d-${room}-${message}` })
  }

  /** Add (or with `remove`, take back) our reaction `emoji` to the message at `message`. */
  react(room: number, message: number, emoji: string, remove = false): void {
    this.write({ type: 'react', room, message, emoji, remove, id: `r-${room}-${message}` })
  }

  /** Tell the room's members that we type (throttled like the server relays it). */
  typing(room: number, now = Date.now()): void {
    if (!this.live || now - (this.lastTyping.get(room) ?? 0) < TYPING_EVERY_MS) return
    this.lastTyping.set(room, now)
    this.write({ type: 'typing', room })
  }

  /**
   * Move our read receipt forward (the server keeps the highest; sending less would be wasted).
   * Offline, the newest one waits for the next connection.
   */
  read(room: number, offset: number): void {
    if (offset <= (this.lastRead.get(room) ?? 0)) return
    this.lastRead.set(room, offset)
    if (this.live) this.write({ type: 'read', room, offset })
    else this.unsentReads.add(room)
  }

  /** Watch the presence of `users` (replaces the previous list, as the server does). */
  watch(users: string[]): void {
    const next = [...new Set(users)].sort()
    if (next.join('\n') === this.watching.join('\n')) return
    this.watching = next
    this.write({ type: 'watch', users: next })
  }

  setPresence(status: 'online' | 'away'): void {
    if (status === this.status) return
    this.status = status
    this.write({ type: 'presence', status })
  }

  /** Close for good (the page is leaving or the person signed out). */
  close(): void {
    this.closed = true
    this.live = false
    clearTimeout(this.retryTimer)
    clearTimeout(this.ackTimer)
    clearInterval(this.pingTimer)
    for (const o of this.outbox.values()) clearTimeout(o.retry)
    const ws = this.ws
    if (!ws) return
    ws.onmessage = null
    ws.onclose = null
    ws.onerror = null
    // Closing a socket that is still connecting makes Chromium log an error; close it once open instead.
    if (ws.readyState === CONNECTING) ws.onopen = () => ws.close(1000, 'page closed')
    else if (ws.readyState === OPEN) ws.close(1000, 'page closed')
    this.opts.handlers.state('closed')
  }

  private connect(): void {
    if (this.closed) return
    this.opts.handlers.state(this.attempt === 0 ? 'connecting' : 'reconnecting')
    const open = this.opts.open ?? ((url: string) => new WebSocket(url) as unknown as SocketLike)
    const ws = open(this.opts.url())
    this.ws = ws
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      const f = parseServerFrame(ev.data)
      if (f) this.receive(f)
    }
    ws.onclose = (ev) => this.lost(ev.code, ev.reason)
    // The close event follows every error with the details we need; nothing to do here.
    ws.onerror = () => {}
  }

  private lost(code: number, reason: string): void {
    this.live = false
    this.ws = undefined
    clearInterval(this.pingTimer)
    if (this.closed) return
    if (code === UNAUTHORIZED_CLOSE) {
      this.opts.handlers.state('unauthorized', reason || 'the server refused the token')
      return
    }
    this.opts.handlers.state('reconnecting', reason || undefined)
    const wait = (this.opts.retryMs ?? defaultRetryMs)(this.attempt++)
    this.retryTimer = setTimeout(() => this.connect(), wait)
  }

  private write(frame: ClientFrame): void {
    // Before `hello` the server drops frames; everything needed is (re)sent on hello.
    if (this.live && this.ws?.readyState === OPEN) this.ws.send(JSON.stringify({ v: 1, ...frame }))
  }

  private sendSubscribe(room: number): void {
    const r = this.rooms.get(room)
    if (!r || !this.live) return
    r.resubscribing = true
    this.write({ type: 'subscribe', room, after: r.cursor, id: `sub-${room}` })
  }

  private receive(f: ServerFrame): void {
    this.heardSincePing = true
    if (isRoomEvent(f)) {
      this.roomEvent(f)
      return
    }
    switch (f.type) {
      case 'hello':
        this.welcomed()
        return
      case 'subscribed': {
        const r = this.rooms.get(f.room)
        if (!r) return
        r.resubscribing = false
        const info = { after: f.after, head: f.head, resumed: r.streamed, recovered: !r.lost }
        r.streamed = true
        r.lost = false
        this.opts.handlers.subscribed?.(f.room, info)
        return
      }
      case 'expiring':
        void this.refresh()
        return
      case 'refreshed':
      case 'ping':
        return
      case 'resync':
        // We read too slowly and the server dropped these subscriptions: resume each from our cursor.
        for (const room of Object.keys(f.rooms)) this.sendSubscribe(Number(room))
        return
      case 'sent': {
        const o = f.id ? this.outbox.get(f.id) : undefined
        if (!o || !f.id) return
        this.outbox.delete(f.id)
        this.opts.handlers.sent(o.frame.cid, o.frame.room, f.offset)
        return
      }
      case 'error':
        // A refused send is shown on the message itself, not as a notice.
        if (this.refused(f)) return
        break
      case 'unsubscribed':
        if (f.reason !== 'requested') this.rooms.delete(f.room)
        break
      case 'pong':
      case 'ok':
        return
    }
    this.opts.handlers.frame(f)
  }

  private roomEvent(e: RoomEvent): void {
    const r = this.rooms.get(e.room)
    if (!r) return
    if (e.offset <= r.cursor) {
      this.duplicatesDropped++
      return
    }
    if (e.offset > r.cursor + 1) {
      // Offsets are dense, so this is a missed event. Ask again from the cursor rather than show a hole.
      if (!r.resubscribing) this.sendSubscribe(e.room)
      return
    }
    r.cursor = e.offset
    this.opts.handlers.event(e)
    this.acks.add(e.room)
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.opts.ackDelayMs ?? 250)
  }

  /** `ack` says how far we got; one per room per burst rather than one per event. */
  private flushAcks(): void {
    this.ackTimer = undefined
    for (const room of this.acks) {
      const r = this.rooms.get(room)
      if (r) this.write({ type: 'ack', room, offset: r.cursor })
    }
    this.acks.clear()
  }

  private welcomed(): void {
    this.live = true
    this.attempt = 0
    this.lastTyping.clear()
    this.opts.handlers.state('live')
    // A new connection starts online, watching nobody, subscribed to nothing: restore all of it.
    if (this.status === 'away') this.write({ type: 'presence', status: 'away' })
    if (this.watching.length > 0) this.write({ type: 'watch', users: this.watching })
    for (const room of this.rooms.keys()) this.sendSubscribe(room)
    for (const room of this.unsentReads) this.write({ type: 'read', room, offset: this.lastRead.get(room)! })
    this.unsentReads.clear()
    for (const o of this.outbox.values()) {
      clearTimeout(o.retry)
      this.write(o.frame)
    }
    clearInterval(this.pingTimer)
    const every = this.opts.pingEveryMs ?? 25_000
    this.heardSincePing = true
    this.pingTimer = setInterval(() => {
      // Silence for a whole period after a ping: the connection is dead without a close (a laptop lid).
      if (!this.heardSincePing) {
        this.ws?.close(4000, 'no answer to ping')
        return
      }
      this.heardSincePing = false
      this.write({ type: 'ping' })
    }, every)
  }

  /** Ask the application for a new token and hand it to the server on this connection. */
  private async refresh(): Promise<void> {
    if (!this.opts.refreshToken) return
    try {
      this.write({ type: 'refresh', token: await this.opts.refreshToken() })
    } catch {
      // No new token: the server closes the connection at expiry, and the state says why.
    }
  }

  /** Deal with an error frame; true when it answered one of our sends. */
  private refused(f: Extract<ServerFrame, { type: 'error' }>): boolean {
    const o = f.id ? this.outbox.get(f.id) : undefined
    if (o && f.id) {
      if (f.code === 'CHAT_RATE_LIMITED') {
        // Keep it: send the same cid again once the bucket has refilled.
        o.retry = setTimeout(() => this.write(o.frame), Math.max(100, f.retryAfterMs ?? 1_000))
        return true
      }
      this.outbox.delete(f.id)
      this.opts.handlers.failed(o.frame.cid, o.frame.room, f.message)
      return true
    }
    if (f.room === undefined || !f.id?.startsWith('sub-')) return false
    if (f.code === 'CHAT_OFFSET_FROM_FUTURE' && typeof f.head === 'number') {
      // The server has fewer events than we saw (its data was reset): follow it from its head.
      const r = this.rooms.get(f.room)
      if (r) {
        r.cursor = f.head
        r.lost = true
      }
      this.sendSubscribe(f.room)
    } else this.rooms.delete(f.room)
    return false
  }
}
