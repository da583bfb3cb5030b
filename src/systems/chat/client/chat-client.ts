/**
 * The chat client library: chat's rooms over the platform's live client
 * (src/platform/live/client/), which keeps the socket open and never loses or
 * repeats an event (reconnect with backoff, resume by offset, `recovered`,
 * acks, pings, token refresh, presence). This layer adds what is chat's: rooms
 * by number, messages kept until the server's `sent`, edits, reactions, read
 * receipts and typing. No dependencies, so it runs in the browser (the console
 * uses it) and in Node (Node 22+ has a global WebSocket; on Node 20 pass
 * `open: (url) => new WebSocket(url)` from the `ws` package). The README's
 * "Client library" shows how to use it.
 *
 * It runs on its own socket to `/chat/ws` (`url`), or on a live socket shared
 * with other pages (`socket`: the platform endpoint `/live/ws`, where a room is
 * the stream `chat.room.<id>`). Messages are sent with a client id (`cid`) and
 * kept until the server answers `sent`: after a reconnect they are sent again,
 * and the server recognises the cid, so a lost answer never makes a second
 * message.
 */

import type { LiveEventFrame } from '../../../platform/live/client/frames.js'
import { LiveSocket } from '../../../platform/live/client/live-client.js'
import type { LiveSocketHandlers, StreamName } from '../../../platform/live/client/socket-options.js'
import { type ClientFrame, isRoomEvent, type ServerFrame } from './frames.js'
import type { ChatSocketOptions } from './socket-options.js'

export * from './socket-options.js'

/** The server relays typing at most every 2 s per connection; sending more often only spends the rate limit. */
export const TYPING_EVERY_MS = 2_000
/** A room's stream on the platform endpoint. */
const ROOM_STREAM = 'chat.room.'

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
  private readonly live: LiveSocket
  /** The socket is shared (the platform endpoint): leave it open on close, name rooms as streams. */
  private readonly shared: boolean
  private readonly detach: (() => void) | undefined
  /** The rooms this client reads (a shared socket also carries other pages' streams). */
  private readonly rooms = new Set<number>()
  /** Sends not yet answered, by frame id, in the order the person typed them. */
  private readonly outbox = new Map<string, Outgoing>()
  private readonly lastTyping = new Map<number, number>()
  private readonly lastRead = new Map<number, number>()
  private readonly unsentReads = new Set<number>()

  constructor(private readonly opts: ChatSocketOptions) {
    const listener: LiveSocketHandlers = {
      event: (_stream, e) => {
        if (isRoomEvent(e as ServerFrame) && this.rooms.has(e.room as number)) opts.handlers.event(e as never)
      },
      frame: (f) => {
        // On a shared socket, another page's streams are not ours to show.
        const stream =
          (f as { stream?: unknown; signal?: unknown }).stream ?? (f as { signal?: unknown }).signal
        if (typeof stream === 'string' && !stream.startsWith(ROOM_STREAM)) return
        opts.handlers.frame(f as ServerFrame)
      },
      state: (s, detail) => opts.handlers.state(s, detail),
      subscribed: (stream, info) => opts.handlers.subscribed?.(this.roomOf(stream), info),
      live: () => this.welcomed(),
      claim: (f) => this.claim(f as ServerFrame),
    }
    this.shared = opts.socket !== undefined
    if (opts.socket) {
      this.live = opts.socket
      this.detach = opts.socket.attach(listener)
    } else {
      if (!opts.url) throw new Error('ChatSocket needs a url (its own socket) or a shared socket')
      this.detach = undefined
      this.live = new LiveSocket({
        url: opts.url,
        handlers: listener,
        field: 'room',
        // Chat's receipts carry an offset too: only messages and updates are counted by it.
        isEvent: (f): f is LiveEventFrame => isRoomEvent(f as ServerFrame),
        ...(opts.open && { open: opts.open }),
        ...(opts.retryMs && { retryMs: opts.retryMs }),
        ...(opts.ackDelayMs !== undefined && { ackDelayMs: opts.ackDelayMs }),
        ...(opts.pingEveryMs !== undefined && { pingEveryMs: opts.pingEveryMs }),
        ...(opts.refreshToken && { refreshToken: opts.refreshToken }),
      })
    }
  }

  /** Events dropped because their offset was at or below the cursor (visible to tests and the curious). */
  get duplicatesDropped(): number {
    return this.live.duplicatesDropped
  }

  private nameOf(room: number): StreamName {
    return this.shared ? `${ROOM_STREAM}${room}` : room
  }

  private roomOf(stream: StreamName): number {
    return typeof stream === 'number' ? stream : Number(stream.slice(ROOM_STREAM.length))
  }

  /** The offset the page has of `room` (what a resubscription resumes from). */
  cursorOf(room: number): number | undefined {
    return this.live.cursorOf(this.nameOf(room))
  }

  /**
   * Stream `room` from `after` on. A room already streaming keeps its cursor: its events since
   * then have reached the page, and asking again from an older offset would only repeat them.
   */
  subscribe(room: number, after: number): void {
    this.rooms.add(room)
    this.live.subscribe(this.nameOf(room), after)
  }

  unsubscribe(room: number): void {
    this.rooms.delete(room)
    this.live.unsubscribe(this.nameOf(room))
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
    if (!this.live.isLive || now - (this.lastTyping.get(room) ?? 0) < TYPING_EVERY_MS) return
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
    if (this.live.isLive) this.write({ type: 'read', room, offset })
    else this.unsentReads.add(room)
  }

  /** Watch the presence of `users` (replaces the previous list, as the server does). */
  watch(users: string[]): void {
    this.live.watch(users)
  }

  setPresence(status: 'online' | 'away'): void {
    this.live.setPresence(status)
  }

  /** Close for good (the page is leaving or the person signed out); a shared socket stays open for the others. */
  close(): void {
    for (const o of this.outbox.values()) clearTimeout(o.retry)
    if (!this.detach) {
      this.live.close()
      return
    }
    for (const room of this.rooms) this.live.unsubscribe(this.nameOf(room))
    this.rooms.clear()
    this.detach()
    this.opts.handlers.state('closed')
  }

  /** A chat frame, with its room named the way the socket's endpoint names streams. */
  private write(frame: ClientFrame): void {
    const { type, room, ...rest } = frame as ClientFrame & { room?: number }
    if (room === undefined || !this.shared) this.live.write(frame)
    else this.live.write({ type, ...this.live.naming(this.nameOf(room)), ...rest })
  }

  /** A new connection: the typing throttle starts afresh, and what waits for one is sent. */
  private welcomed(): void {
    this.lastTyping.clear()
    for (const room of this.unsentReads) this.write({ type: 'read', room, offset: this.lastRead.get(room)! })
    this.unsentReads.clear()
    for (const o of this.outbox.values()) {
      clearTimeout(o.retry)
      this.write(o.frame)
    }
  }

  /** Answers to our sends: `sent`, or an error refusing one; true when the frame was one. */
  private claim(f: ServerFrame): boolean {
    if (f.type === 'sent') {
      const o = f.id ? this.outbox.get(f.id) : undefined
      if (o && f.id) {
        this.outbox.delete(f.id)
        this.opts.handlers.sent(o.frame.cid, o.frame.room, f.offset)
      }
      return true
    }
    if (f.type !== 'error') return false
    const o = f.id ? this.outbox.get(f.id) : undefined
    if (!o || !f.id) return false
    if (f.code.endsWith('_RATE_LIMITED')) {
      // Keep it: send the same cid again once the bucket has refilled.
      o.retry = setTimeout(() => this.write(o.frame), Math.max(100, f.retryAfterMs ?? 1_000))
      return true
    }
    // A refused send is shown on the message itself, not as a notice.
    this.outbox.delete(f.id)
    this.opts.handlers.failed(o.frame.cid, o.frame.room, f.message)
    return true
  }
}
