/**
 * One client connection, whatever its transport: its room subscriptions,
 * the handoff from replay (PostgreSQL) to live (the feed), and its bounded
 * send buffer.
 *
 * Replay/live handoff: a subscription attaches to the room's feed first and
 * learns the feed's head H; live events after H are buffered while the
 * connection replays (after, H] from PostgreSQL, page by page, waiting for
 * the transport to drain between pages. Then the buffer is flushed, skipping
 * offsets already sent, and the subscription goes live. Each offset is sent
 * once, in order.
 *
 * Protocol v2 connections get a run of events (a committed batch, a replay
 * chunk) as one `batch` frame, the same bytes for every v2 member of the room;
 * v1 connections get the events' own frames. Either way one socket write per
 * run and member (ws.routes.ts).
 *
 * Backpressure: when the transport holds more than `sendBufferBytes`, the
 * connection stops sending room events, drops its subscriptions and sends one
 * `resync` frame naming the last offset it sent per room; the client
 * resubscribes from its own last offset and nothing is lost. The room never
 * waits for a slow reader.
 */

import { ChatError } from './errors.js'
import type { EphemeralFrame, Fanout, FeedListener } from './fanout.js'
import type { MessageStore } from './messages.store.js'
import { errorFrame, type ProtocolVersion } from './protocol.js'
import type { TokenClaims } from './tokens.js'
import { EventRun, type OutFrame } from './wire.js'

/** What a connection writes frames to: a WebSocket, an SSE stream, or a long-poll queue. */
export interface Transport {
  readonly kind: 'ws' | 'sse' | 'poll'
  /** Queue one serialised frame (a control frame: made for this connection). */
  send(text: string): void
  /**
   * Queue a frame shared with other connections (room events): its encodings are made once. `at`:
   * the room and the last offset it carries (what the client has of the room once it got it).
   */
  sendShared(frame: OutFrame, at?: { room: number; offset: number }): void
  /** Bytes queued and not yet written to the network (or taken by a poll). */
  buffered(): number
  /** Resolves once the queue is below half the limit (or the connection closed). */
  drained(lowWater: number): Promise<void>
  close(code: number, reason: string): void
  /**
   * A heartbeat is due: probe the peer (a WebSocket's protocol ping) and return false when it
   * never answered the previous probe (the transport is then closed). Absent: nothing to probe.
   */
  probe?(): boolean
}

export interface ConnectionHooks {
  fanout: Fanout
  messages: MessageStore
  sendBufferBytes: number
  replayPage: number
  onResync(): void
  onClose(conn: Connection): void
}

let nextId = 0
/** Events per `batch` frame of a v2 replay: a page of replay is sent in a few frames, at the reader's pace. */
const REPLAY_CHUNK = 50

/** A subscription of one connection to one room. */
class RoomSubscription implements FeedListener {
  state: 'replaying' | 'live' | 'closed' = 'replaying'
  /** The next offset this subscription will send. */
  next: number
  /** Its starting point is known (`subscribed` was sent): until then it has no position. */
  ready = false
  /** The offset it started after. */
  from = 0
  /** Live runs that arrived during the replay, and how many events they hold. */
  held: EventRun[] = []
  heldEvents = 0

  constructor(
    readonly conn: Connection,
    readonly room: number,
    after: number,
  ) {
    this.next = after + 1
  }

  get user(): string {
    return this.conn.user
  }

  onEvents(run: EventRun): void {
    if (this.state === 'closed') return
    if (this.state === 'replaying') {
      this.held.push(run)
      this.heldEvents += run.events.length
      // A replay far behind a busy room: let the client resume later rather than hold without bound.
      if (this.heldEvents > 10_000) this.conn.overflow()
      return
    }
    this.emitRun(run)
  }

  /** Send the events of `run` from the next offset on; earlier offsets were sent already. */
  emitRun(run: EventRun): void {
    if (run.last < this.next) return
    // The common case on a v2 connection: the whole run is new, as one frame shared by the room.
    // A run in which this member leaves goes event by event, so nothing after the leave is sent.
    if (this.conn.protocol >= 2 && run.first === this.next && !run.leavers?.has(this.conn.user)) {
      if (!this.conn.sendEvent(run.batch(), this.room, run.last)) return
      this.next = run.last + 1
      return
    }
    for (let i = 0; i < run.events.length && this.state !== 'closed'; i++) this.emit(run, i)
  }

  /** Send event `i` of `run` if it is the next offset. */
  private emit(run: EventRun, i: number): void {
    const event = run.events[i]!
    if (event.offset < this.next) return
    if (event.offset > this.next) {
      // Cannot happen with a gap-free feed; if it does, the client re-reads from PostgreSQL.
      this.conn.overflow()
      return
    }
    // Advanced only once sent: an overflow reports the last offset the client was actually sent.
    if (!this.conn.sendEvent(run.frames[i]!, this.room, event.offset)) return
    this.next = event.offset + 1
    // A member who left (or was removed) stops receiving the room after seeing that event.
    if (event.type === 'update' && event.kind === 'leave' && event.user === this.conn.user)
      this.conn.unsubscribe(this.room, 'left')
  }

  onEphemeral(frame: EphemeralFrame, text: string): void {
    if (this.state === 'closed') return
    if (frame.type === 'room-deleted') {
      this.conn.unsubscribe(this.room, 'deleted')
      return
    }
    if (frame.type === 'typing' && frame.user === this.conn.user) return
    this.conn.sendControl(text)
  }
}

export class Connection {
  readonly id: string
  readonly subs = new Map<number, RoomSubscription>()
  /** Users whose presence this connection watches. */
  watching = new Set<string>()
  status: 'online' | 'away' = 'online'
  closed = false
  /** Messages sent on this connection and not yet committed. */
  sending = 0
  /** Last typing frame published per room (throttle). */
  readonly typingAt = new Map<number, number>()
  /** The token this connection runs on (replaced by a `refresh`); undefined: never expires. */
  auth: TokenClaims | undefined
  /** The client was told its token expires soon (`expiring`), for the current token. */
  expiryWarned = false

  constructor(
    readonly user: string,
    readonly transport: Transport,
    private readonly hooks: ConnectionHooks,
    /** The protocol version this client asked for (and the server speaks): 2 adds `batch` frames. */
    readonly protocol: ProtocolVersion = 1,
  ) {
    this.id = `${transport.kind}-${++nextId}`
  }

  /** Send a control frame (replies, errors, presence): small, always sent until the hard limit. */
  sendControl(text: string): void {
    if (this.closed) return
    if (this.transport.buffered() > this.hooks.sendBufferBytes * 4) {
      // A client that reads nothing at all: close rather than hold its frames forever.
      this.close(1008, 'send buffer overflow')
      return
    }
    this.transport.send(text)
  }

  /** Send a frame object. */
  sendFrame(frame: Record<string, unknown>): void {
    this.sendControl(JSON.stringify(frame))
  }

  sendError(err: unknown, id?: string, room?: number): void {
    this.sendFrame(errorFrame(err, id, room))
  }

  /**
   * Send room events of `room` up to `offset`, unless the buffer is over its bound: then resync
   * instead (and return false).
   */
  sendEvent(frame: OutFrame, room: number, offset: number): boolean {
    if (this.closed) return false
    if (this.transport.buffered() > this.hooks.sendBufferBytes) {
      this.overflow()
      return false
    }
    this.transport.sendShared(frame, { room, offset })
    return true
  }

  /** Where each subscription stands: room -> the last offset sent (what a resume asks `after`). */
  positions(): Map<number, number> {
    const out = new Map<number, number>()
    for (const [room, sub] of this.subs) if (sub.ready) out.set(room, sub.next - 1)
    return out
  }

  /** The subscriptions whose start is known: room, and the offset it started after. */
  subscriptions(): { room: number; from: number }[] {
    const out: { room: number; from: number }[] = []
    for (const [room, sub] of this.subs) if (sub.ready) out.push({ room, from: sub.from })
    return out
  }

  /** Drop every subscription without a frame (the session moved to another node). */
  dropSubscriptions(): void {
    for (const sub of this.subs.values()) this.detach(sub)
    this.subs.clear()
  }

  /** The buffer overflowed: drop every subscription and tell the client where to resume. */
  overflow(): void {
    if (this.closed || this.subs.size === 0) return
    const rooms: Record<string, number> = {}
    for (const [room, sub] of this.subs) {
      rooms[room] = sub.next - 1
      this.detach(sub)
    }
    this.subs.clear()
    this.hooks.onResync()
    this.transport.send(JSON.stringify({ v: 1, type: 'resync', rooms }))
  }

  /**
   * Subscribe to `room` from `after` (undefined: from the head, live only).
   * Replies `subscribed` once attached; the replay then runs in the background.
   */
  async subscribe(
    room: number,
    after: number | undefined,
    id: string | undefined,
    /** No `subscribed` frame (a session taken over from another node: the client subscribed there). */
    quiet = false,
  ): Promise<void> {
    const old = this.subs.get(room)
    if (old) this.unsubscribe(room)
    const sub = new RoomSubscription(this, room, 0)
    this.subs.set(room, sub)
    let head: number
    try {
      head = await this.hooks.fanout.attach(room, sub)
    } catch (err) {
      this.subs.delete(room)
      throw err
    }
    if (this.subs.get(room) !== sub || this.closed) {
      this.hooks.fanout.detach(room, sub)
      return
    }
    if (after !== undefined && after > head) {
      this.subs.delete(room)
      this.hooks.fanout.detach(room, sub)
      throw ChatError.futureOffset(room, after, head)
    }
    const from = after ?? head
    sub.next = from + 1
    sub.from = from
    sub.ready = true
    if (!quiet)
      this.sendFrame({ v: 1, type: 'subscribed', ...(id !== undefined && { id }), room, after: from, head })
    void this.replay(sub, head)
  }

  /**
   * Send (sub.next - 1, head] from PostgreSQL, then the held live events, then go live. A v1
   * client gets the replay event by event, a v2 client in `batch` frames of REPLAY_CHUNK events.
   */
  private async replay(sub: RoomSubscription, head: number): Promise<void> {
    const lowWater = this.hooks.sendBufferBytes / 2
    const chunk = this.protocol >= 2 ? REPLAY_CHUNK : 1
    try {
      while (sub.state === 'replaying' && sub.next <= head) {
        const events = await this.hooks.messages.replay(sub.room, sub.next - 1, head, this.hooks.replayPage)
        if (events.length === 0) break
        for (let i = 0; i < events.length; i += chunk) {
          // Replay at the reader's pace: it never fills the buffer up to the resync bound.
          if (this.transport.buffered() > lowWater) await this.transport.drained(lowWater)
          if (sub.state !== 'replaying') return
          sub.emitRun(new EventRun(sub.room, events.slice(i, i + chunk)))
        }
      }
      if (sub.state !== 'replaying') return
      const held = sub.held
      sub.held = []
      sub.heldEvents = 0
      sub.state = 'live'
      for (const run of held) {
        if (sub.state !== 'live') return
        sub.emitRun(run)
      }
    } catch (err) {
      if (sub.state === 'closed') return
      this.unsubscribe(sub.room)
      this.sendError(err, undefined, sub.room)
    }
  }

  /** Stop a room subscription; `reason` is told to the client when the server ended it. */
  unsubscribe(room: number, reason?: string): boolean {
    const sub = this.subs.get(room)
    if (!sub) return false
    this.subs.delete(room)
    this.detach(sub)
    if (reason) this.sendFrame({ v: 1, type: 'unsubscribed', room, reason })
    return true
  }

  private detach(sub: RoomSubscription): void {
    sub.state = 'closed'
    sub.held = []
    sub.heldEvents = 0
    this.hooks.fanout.detach(sub.room, sub)
  }

  /** The transport is gone (or we close it): release everything. */
  release(): void {
    if (this.closed) return
    this.closed = true
    for (const sub of this.subs.values()) this.detach(sub)
    this.subs.clear()
    this.hooks.onClose(this)
  }

  close(code: number, reason: string): void {
    this.transport.close(code, reason)
    this.release()
  }
}
