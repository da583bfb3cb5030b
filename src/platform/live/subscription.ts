/**
 * A subscription of one connection to one stream: what it has sent (`next`),
 * the live runs it holds while it replays, and how a run reaches its client.
 * A v2 connection gets a run that starts at its next offset as one frame
 * shared by every v2 reader of the stream; a run it has partly seen, or in
 * which its own user leaves, goes event by event, so it never repeats an
 * offset and sees nothing after its own leave. A v1 connection gets one
 * frame per event.
 */
import type { Addressing } from './addressing.js'
import type { FeedListener } from './fanout.js'
import type { StreamRef } from './stream-kind.js'
import { type EventRun, type OutFrame, type SignalRun, signalText } from './wire.js'

/** What a subscription needs of its connection (connection.ts). */
export interface Subscriber {
  readonly user: string
  readonly protocol: number
  readonly addressing: Addressing
  /** Send events of stream `token` up to `offset`; false (and a resync instead) when the buffer is full. */
  sendEvent(frame: OutFrame, token: string, offset: number): boolean
  sendControl(text: string): void
  /** Drop every subscription and tell the client where to resume. */
  overflow(): void
  unsubscribe(key: string, reason?: string): boolean
}

/** Live runs held during a replay, past which the client is told to resume later instead. */
const MAX_HELD_EVENTS = 10_000

export class StreamSubscription implements FeedListener {
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
  /** The stream in the endpoint's compact form (SSE ids, registry rows). */
  readonly token: string

  constructor(
    readonly conn: Subscriber,
    readonly ref: StreamRef,
    after: number,
  ) {
    this.next = after + 1
    this.token = conn.addressing.token(ref)
  }

  get user(): string {
    return this.conn.user
  }

  onEvents(run: EventRun): void {
    if (this.state === 'closed') return
    if (this.state === 'replaying') {
      this.held.push(run)
      this.heldEvents += run.events.length
      // A replay far behind a busy stream: let the client resume later rather than hold without bound.
      if (this.heldEvents > MAX_HELD_EVENTS) this.conn.overflow()
      return
    }
    this.emitRun(run)
  }

  /** Send the events of `run` from the next offset on; earlier offsets were sent already. */
  emitRun(run: EventRun): void {
    if (run.last < this.next) return
    const conn = this.conn
    // The common case on a v2 connection: the whole run is new, as one frame shared by the stream.
    // A run in which this reader leaves goes event by event, so nothing after the leave is sent.
    if (conn.protocol >= 2 && run.first === this.next && !run.leavers?.has(conn.user)) {
      if (!conn.sendEvent(run.batch(conn.addressing), this.token, run.last)) return
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
      // Cannot happen with a gap-free feed; if it does, the client re-reads from the history.
      this.conn.overflow()
      return
    }
    // Advanced only once sent: an overflow reports the last offset the client was actually sent.
    if (!this.conn.sendEvent(run.frame(this.conn.addressing, i), this.token, event.offset)) return
    this.next = event.offset + 1
    // A reader who left (or was removed) stops receiving the stream after seeing that event.
    if (run.leavers?.has(this.conn.user) && this.ref.kind.spec.endsFor?.(event) === this.conn.user)
      this.conn.unsubscribe(this.ref.key, 'left')
  }

  onSignal(signal: SignalRun): void {
    if (this.state === 'closed') return
    if (signal.end !== undefined) {
      this.conn.unsubscribe(this.ref.key, signal.end)
      return
    }
    if (signal.except === this.conn.user) return
    this.conn.sendControl(signalText(this.conn.addressing, signal))
  }
}
