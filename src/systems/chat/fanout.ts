/**
 * Fan-out of room events to this node's connections.
 *
 * Every node receives every room event on one Bus broadcast subscription
 * and keeps, per room that has local listeners, a feed whose `head` is the
 * last offset handed to them. Events reach a feed out of order (two nodes
 * write one room; the bus is best-effort), so the feed reorders: offset
 * head+1 is delivered, a later one waits while the gap is read from
 * PostgreSQL. That read always succeeds at once, because offsets are taken
 * under the room row's lock: offset N+1 cannot exist before N committed.
 * A periodic sweep compares feed heads with the rooms' counters and fills
 * what the bus never brought (a node that died between commit and publish).
 * Listeners therefore see each room as one gap-free, duplicate-free stream.
 */
import type { Bus, BusMessage, Subscription } from '../../platform/bus/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { MessageStore } from './messages.store.js'
import type { RoomEvent } from './protocol.js'
import type { RoomStore } from './rooms.store.js'

/** What a feed hands room events and ephemeral room frames to (one per connection and room). */
export interface FeedListener {
  readonly user: string
  /** A room event, in offset order; `text` is its serialised frame, shared by every listener. */
  onEvent(event: RoomEvent, text: string): void
  /** A frame without an offset (typing, receipt, room deleted); `from` is the user it concerns. */
  onEphemeral(frame: EphemeralFrame, text: string): void
}

export interface EphemeralFrame {
  v: 1
  type: 'typing' | 'receipt' | 'room-deleted'
  room: number
  user: string
  [key: string]: unknown
}

export const ROOM_SUBJECT = 'chat.room'
export const EPHEMERAL_SUBJECT = 'chat.eph'

class Feed {
  /** The last offset delivered to listeners; -1 until the room's head is read. */
  head = -1
  readonly listeners = new Set<FeedListener>()
  /** Events past a gap, by offset. */
  readonly ahead = new Map<number, RoomEvent>()
  filling = false
  /** The head seen lagging behind PostgreSQL at the previous sweep (-1: not lagging). */
  lagAt = -1
  ready: Promise<void> | undefined

  constructor(readonly room: number) {}
}

export interface FanoutStats {
  gapFills: number
  sweepFills: number
}

export class Fanout {
  private readonly feeds = new Map<number, Feed>()
  private subs: Subscription[] = []
  private sweeper: NodeJS.Timeout | undefined
  /** Marks this node's ephemeral frames on the bus, so it does not deliver its own twice. */
  private readonly mark = Math.random().toString(36).slice(2)
  readonly stats: FanoutStats = { gapFills: 0, sweepFills: 0 }

  constructor(
    private readonly bus: Bus,
    private readonly rooms: RoomStore,
    private readonly messages: MessageStore,
    private readonly log: Logger,
    private readonly opts: { sweepMs: number; page: number },
  ) {}

  async start(): Promise<void> {
    this.subs.push(
      await this.bus.subscribe<RoomEvent>(`${ROOM_SUBJECT}.>`, (m) => this.fromBus(m), { concurrency: 64 }),
      await this.bus.subscribe<EphemeralFrame>(`${EPHEMERAL_SUBJECT}.>`, (m) => this.fromBusEphemeral(m), {
        concurrency: 64,
      }),
    )
    this.sweeper = setInterval(() => void this.sweep(), this.opts.sweepMs)
    this.sweeper.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper)
    for (const s of this.subs) await s.close()
    this.subs = []
  }

  /** Rooms with local listeners. */
  get roomCount(): number {
    return this.feeds.size
  }

  /**
   * Add a listener to a room's feed; resolves with the feed's head at that moment:
   * the listener gets every event after it live, and reads the ones up to it itself.
   */
  async attach(room: number, listener: FeedListener): Promise<number> {
    let feed = this.feeds.get(room)
    if (!feed) {
      const created = new Feed(room)
      feed = created
      this.feeds.set(room, created)
      created.ready = this.rooms.heads([room]).then((heads) => {
        created.head = heads.get(room) ?? 0
        for (const offset of [...created.ahead.keys()])
          if (offset <= created.head) created.ahead.delete(offset)
        this.drain(created)
      })
    }
    feed.listeners.add(listener)
    try {
      await feed.ready
    } catch (err) {
      // The head could not be read: forget the feed so the next attach tries again.
      if (this.feeds.get(room) === feed) this.feeds.delete(room)
      feed.listeners.delete(listener)
      throw err
    }
    return feed.head
  }

  detach(room: number, listener: FeedListener): void {
    const feed = this.feeds.get(room)
    if (!feed) return
    feed.listeners.delete(listener)
    if (feed.listeners.size === 0) this.feeds.delete(room)
  }

  /** Publish a committed room event: delivered here at once, and to other nodes through the Bus. */
  async publish(event: RoomEvent): Promise<void> {
    this.accept(event)
    try {
      await this.bus.publish(`${ROOM_SUBJECT}.${event.room}`, event)
    } catch (err) {
      // Committed already; other nodes' sweeps will read it from PostgreSQL.
      this.log.warn(
        { err, room: event.room, offset: event.offset },
        'room event not published; sweeps will fill it',
      )
    }
  }

  /**
   * Publish committed room events (in offset order): delivered here at once, then sent on the Bus
   * without waiting for it, so a slow or absent bus never delays the senders' `sent` answers
   * (the events are committed; other nodes' sweeps fill what the bus loses).
   */
  async publishMany(events: RoomEvent[]): Promise<void> {
    for (const e of events) this.accept(e)
    for (const e of events)
      this.bus.publish(`${ROOM_SUBJECT}.${e.room}`, e).catch((err) => this.notPublished(err, e))
  }

  private notPublished(err: unknown, e: RoomEvent): void {
    this.log.warn({ err, room: e.room, offset: e.offset }, 'room event not published; sweeps will fill it')
  }

  /** Publish an ephemeral frame (typing, receipt) to the room's listeners on every node. */
  async publishEphemeral(frame: EphemeralFrame): Promise<void> {
    this.acceptEphemeral(frame)
    await this.bus.publish(`${EPHEMERAL_SUBJECT}.${frame.room}`, frame, {
      headers: { origin: this.mark },
    })
  }

  private async fromBus(m: BusMessage<RoomEvent>): Promise<void> {
    this.accept(m.data)
  }

  private async fromBusEphemeral(m: BusMessage<EphemeralFrame>): Promise<void> {
    // Our own ephemeral frames were delivered locally when published.
    if (m.headers.origin === this.mark) return
    this.acceptEphemeral(m.data)
  }

  private acceptEphemeral(frame: EphemeralFrame): void {
    const feed = this.feeds.get(frame.room)
    if (!feed) return
    const text = JSON.stringify(frame)
    for (const l of [...feed.listeners]) l.onEphemeral(frame, text)
  }

  /** Take one event: deliver it if it is next, hold it if it is ahead, drop it if already delivered. */
  private accept(event: RoomEvent): void {
    const feed = this.feeds.get(event.room)
    if (!feed) return
    if (feed.head >= 0 && event.offset <= feed.head) return
    if (feed.head < 0 || event.offset > feed.head + 1) {
      feed.ahead.set(event.offset, event)
      if (feed.head >= 0) void this.fill(feed, event.offset)
      return
    }
    this.deliver(feed, event)
    this.drain(feed)
  }

  private deliver(feed: Feed, event: RoomEvent): void {
    feed.head = event.offset
    const text = JSON.stringify(event)
    for (const l of [...feed.listeners]) l.onEvent(event, text)
  }

  /** Deliver held events that have become next. */
  private drain(feed: Feed): void {
    for (;;) {
      const next = feed.ahead.get(feed.head + 1)
      if (!next) break
      feed.ahead.delete(next.offset)
      this.deliver(feed, next)
    }
  }

  /** Read the gap (head, upTo) from PostgreSQL and deliver it with what was held. */
  private async fill(feed: Feed, upTo: number): Promise<void> {
    if (feed.filling) return
    feed.filling = true
    try {
      while (feed.head + 1 < upTo && this.feeds.get(feed.room) === feed) {
        const events = await this.messages.replay(feed.room, feed.head, upTo, this.opts.page)
        if (events.length === 0) break
        this.stats.gapFills++
        for (const e of events) if (e.offset === feed.head + 1) this.deliver(feed, e)
        this.drain(feed)
      }
    } catch (err) {
      this.log.warn({ err, room: feed.room }, 'gap fill failed; the next sweep retries')
    } finally {
      feed.filling = false
    }
    this.drain(feed)
    const maxAhead = Math.max(0, ...feed.ahead.keys())
    if (maxAhead > feed.head + 1 && this.feeds.get(feed.room) === feed)
      setImmediate(() => void this.fill(feed, maxAhead))
  }

  /** Compare every feed with its room's counter; fill a feed that lagged at two sweeps in a row. */
  private async sweep(): Promise<void> {
    const ids = [...this.feeds.values()].filter((f) => f.head >= 0).map((f) => f.room)
    if (ids.length === 0) return
    let heads: Map<number, number>
    try {
      heads = await this.rooms.heads(ids)
    } catch (err) {
      this.log.warn({ err }, 'sweep could not read room heads')
      return
    }
    for (const id of ids) {
      const feed = this.feeds.get(id)
      const dbHead = heads.get(id)
      if (!feed || dbHead === undefined) continue
      if (dbHead <= feed.head) {
        feed.lagAt = -1
        continue
      }
      // Lagging once is normal (an event in flight on the bus); lagging at the same head twice is a loss.
      if (feed.lagAt === feed.head) {
        this.stats.sweepFills++
        void this.fill(feed, dbHead + 1)
      } else feed.lagAt = feed.head
    }
  }
}
