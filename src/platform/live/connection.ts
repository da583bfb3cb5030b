/**
 * One client connection, whatever its transport: its stream subscriptions,
 * the handoff from replay (the kind's history) to live (the feed), and its
 * bounded send buffer.
 *
 * Replay/live handoff: a subscription attaches to the stream's feed first and
 * learns the feed's head H; live events after H are buffered while the
 * connection replays (after, H] from the history, page by page, waiting for
 * the transport to drain between pages. Then the buffer is flushed, skipping
 * offsets already sent, and the subscription goes live. Each offset is sent
 * once, in order.
 *
 * Backpressure: when the transport holds more than `sendBufferBytes`, the
 * connection stops sending events, drops its subscriptions and sends one
 * `resync` frame naming the last offset it sent per stream; the client
 * resubscribes from its own last offset and nothing is lost. The stream never
 * waits for a slow reader.
 */
import type { Addressing } from './addressing.js'
import type { LiveErrors } from './errors.js'
import type { Fanout } from './fanout.js'
import { errorFrame, type ProtocolVersion } from './protocol.js'
import type { LiveConnection, Principal, StreamKindHandle, StreamRef } from './stream-kind.js'
import { StreamSubscription } from './subscription.js'
import { EventRun, type OutFrame } from './wire.js'

/** What a connection writes frames to: a WebSocket, an SSE stream, a long-poll queue, a relay. */
export interface Transport {
  readonly kind: 'ws' | 'sse' | 'poll'
  /** Queue one serialised frame (a control frame: made for this connection). */
  send(text: string): void
  /**
   * Queue a frame shared with other connections (events): its encodings are made once. `at`: the
   * stream (its token) and the last offset the frame carries.
   */
  sendShared(frame: OutFrame, at?: { token: string; offset: number }): void
  /** Bytes queued and not yet written to the network (or taken by a poll). */
  buffered(): number
  /** Resolves once the queue is below `lowWater` (or the connection closed). */
  drained(lowWater: number): Promise<void>
  close(code: number, reason: string): void
  /**
   * A heartbeat is due: probe the peer (a WebSocket's protocol ping) and return false when it
   * never answered the previous probe (the transport is then closed). Absent: nothing to probe.
   */
  probe?(): boolean
}

/** What a connection needs of its endpoint. */
export interface ConnectionHooks {
  /** The feeds of a kind's streams on this node. */
  fanoutOf(kind: StreamKindHandle): Fanout
  sendBufferBytes: number
  onResync(): void
  onClose(conn: Connection): void
}

let nextId = 0
/** Events per `batch` frame of a v2 replay: a page of replay is sent in a few frames, at the reader's pace. */
const REPLAY_CHUNK = 50

export class Connection implements LiveConnection {
  readonly id: string
  /** Subscriptions by stream key (`<system>.<kind>.<id>`). */
  readonly subs = new Map<string, StreamSubscription>()
  /** Users whose presence this connection watches. */
  watching = new Set<string>()
  status: 'online' | 'away' = 'online'
  closed = false
  /** The token this connection runs on (replaced by a `refresh`); undefined: never expires. */
  principal: Principal | undefined
  /** The client was told its token expires soon (`expiring`), for the current token. */
  expiryWarned = false

  constructor(
    readonly user: string,
    readonly transport: Transport,
    private readonly hooks: ConnectionHooks,
    /** The protocol version this client asked for (and the server speaks): 2 adds `batch` frames. */
    readonly protocol: ProtocolVersion,
    /** How the endpoint names streams, and its errors. */
    readonly addressing: Addressing,
    readonly errors: LiveErrors,
  ) {
    this.id = `${transport.kind}-${++nextId}`
  }

  isSubscribed(ref: StreamRef): boolean {
    return this.subs.has(ref.key)
  }

  naming(ref: StreamRef): Record<string, string | number> {
    return { [this.addressing.field]: this.addressing.name(ref) }
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

  /** Send the `error` frame of `err`, echoing the frame `id` and naming the stream it concerned. */
  sendError(err: unknown, id?: string, ref?: StreamRef): void {
    this.sendFrame(errorFrame(this.errors, err, id, ref && this.naming(ref)))
  }

  /**
   * Send events of the stream `token` up to `offset`, unless the buffer is over its bound: then
   * resync instead (and return false).
   */
  sendEvent(frame: OutFrame, token: string, offset: number): boolean {
    if (this.closed) return false
    if (this.transport.buffered() > this.hooks.sendBufferBytes) {
      this.overflow()
      return false
    }
    this.transport.sendShared(frame, { token, offset })
    return true
  }

  /** Where each subscription stands: stream token -> the last offset sent (what a resume asks `after`). */
  positions(): Map<string, number> {
    const out = new Map<string, number>()
    for (const sub of this.subs.values()) if (sub.ready) out.set(sub.token, sub.next - 1)
    return out
  }

  /** The subscriptions whose start is known: the stream's token, and the offset it started after. */
  subscriptions(): { token: string; from: number }[] {
    const out: { token: string; from: number }[] = []
    for (const sub of this.subs.values()) if (sub.ready) out.push({ token: sub.token, from: sub.from })
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
    const streams: Record<string, number> = {}
    for (const sub of this.subs.values()) {
      streams[String(this.addressing.name(sub.ref))] = sub.next - 1
      this.detach(sub)
    }
    this.subs.clear()
    this.hooks.onResync()
    this.transport.send(JSON.stringify({ v: 1, type: 'resync', [this.addressing.plural]: streams }))
  }

  /**
   * Subscribe to `ref` from `after` (undefined: from the head, live only). Replies `subscribed`
   * once attached; the replay then runs in the background. The caller authorized the reader.
   */
  async subscribe(
    ref: StreamRef,
    after: number | undefined,
    id: string | undefined,
    /** No `subscribed` frame (a session taken over from another node: the client subscribed there). */
    quiet = false,
  ): Promise<void> {
    if (this.subs.has(ref.key)) this.unsubscribe(ref.key)
    const sub = new StreamSubscription(this, ref, 0)
    this.subs.set(ref.key, sub)
    const fanout = this.hooks.fanoutOf(ref.kind)
    let head: number
    try {
      head = await fanout.attach(ref.id, sub)
    } catch (err) {
      this.subs.delete(ref.key)
      throw err
    }
    if (this.subs.get(ref.key) !== sub || this.closed) {
      fanout.detach(ref.id, sub)
      return
    }
    if (after !== undefined && after > head) {
      this.subs.delete(ref.key)
      fanout.detach(ref.id, sub)
      throw this.errors.futureOffset(this.addressing.name(ref), after, head)
    }
    const from = after ?? head
    sub.next = from + 1
    sub.from = from
    sub.ready = true
    if (!quiet)
      this.sendFrame({
        v: 1,
        type: 'subscribed',
        ...(id !== undefined && { id }),
        ...this.naming(ref),
        after: from,
        head,
      })
    void this.replay(sub, head)
  }

  /**
   * Send (sub.next - 1, head] from the history, then the held live events, then go live. A v1
   * client gets the replay event by event, a v2 client in `batch` frames of REPLAY_CHUNK events.
   */
  private async replay(sub: StreamSubscription, head: number): Promise<void> {
    const lowWater = this.hooks.sendBufferBytes / 2
    const chunk = this.protocol >= 2 ? REPLAY_CHUNK : 1
    const spec = sub.ref.kind.spec
    const page = spec.replayPage ?? 500
    try {
      while (sub.state === 'replaying' && sub.next <= head) {
        const events = await spec.history.read(sub.ref.id, sub.next - 1, head, page)
        if (events.length === 0) break
        for (let i = 0; i < events.length; i += chunk) {
          // Replay at the reader's pace: it never fills the buffer up to the resync bound.
          if (this.transport.buffered() > lowWater) await this.transport.drained(lowWater)
          if (sub.state !== 'replaying') return
          sub.emitRun(new EventRun(sub.ref, events.slice(i, i + chunk)))
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
      this.unsubscribe(sub.ref.key)
      this.sendError(err, undefined, sub.ref)
    }
  }

  /** Stop the subscription to stream `key`; `reason` is told to the client when the server ended it. */
  unsubscribe(key: string, reason?: string): boolean {
    const sub = this.subs.get(key)
    if (!sub) return false
    this.subs.delete(key)
    this.detach(sub)
    if (reason) this.sendFrame({ v: 1, type: 'unsubscribed', ...this.naming(sub.ref), reason })
    return true
  }

  private detach(sub: StreamSubscription): void {
    sub.state = 'closed'
    sub.held = []
    sub.heldEvents = 0
    this.hooks.fanoutOf(sub.ref.kind).detach(sub.ref.id, sub)
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
