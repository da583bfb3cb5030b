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
 *
 * Events travel in runs: a committed batch of a room is one bus message and
 * one delivery, its frames made once for every listener (wire.ts), so a
 * member gets a batch in one socket write (one `batch` frame in protocol v2).
 */
import type { Bus, BusMessage, Subscription } from '../../platform/bus/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { MessageStore } from './messages.store.js'
import type { RoomEvent } from './protocol.js'
import type { RoomStore } from './rooms.store.js'
import { EventRun } from './wire.js'

/** What a feed hands room events and ephemeral room frames to (one per connection and room). */
export interface FeedListener {
  readonly user: string
  /** Consecutive room events, in offset order; the run and its frames are shared by every listener. */
  onEvents(run: EventRun): void
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

/** A room's run of events on the Bus (a single event from a node of the previous version). */
type BusRoomEvents = RoomEvent[] | RoomEvent
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
      await this.bus.subscribe<BusRoomEvents>(`${ROOM_SUBJECT}.>`, (m) => this.fromBus(m), {
        concurrency: 64,
      }),
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
    this.accept(event.room, [event])
    try {
      await this.bus.publish(`${ROOM_SUBJECT}.${event.room}`, [event])
    } catch (err) {
      // Committed already; other nodes' sweeps will read it from PostgreSQL.
      this.log.warn(
        { err, room: event.room, offset: event.offset },
        'room event not published; sweeps will fill it',
      )
    }
  }

  /**
   * Publish committed room events (grouped by room, each room in offset order): each room's run is
   * delivered here at once, then sent on the Bus as one message, without waiting for it, so a slow
   * or absent bus never delays the senders' `sent` answers (the events are committed; other nodes'
   * sweeps fill what the bus loses).
   */
  async publishMany(events: RoomEvent[]): Promise<void> {
    const runs: RoomEvent[][] = []
    for (let i = 0; i < events.length; ) {
      const room = events[i]!.room
      let j = i + 1
      while (j < events.length && events[j]!.room === room) j++
      runs.push(events.slice(i, j))
      i = j
    }
    for (const run of runs) this.accept(run[0]!.room, run)
    for (const run of runs)
      this.bus.publish(`${ROOM_SUBJECT}.${run[0]!.room}`, run).catch((err) => this.notPublished(err, run))
  }

  private notPublished(err: unknown, run: RoomEvent[]): void {
    this.log.warn(
      { err, room: run[0]!.room, offsets: [run[0]!.offset, run[run.length - 1]!.offset] },
      'room events not published; sweeps will fill them',
    )
  }

  /** Publish an ephemeral frame (typing, receipt) to the room's listeners on every node. */
  async publishEphemeral(frame: EphemeralFrame): Promise<void> {
    this.acceptEphemeral(frame)
    await this.bus.publish(`${EPHEMERAL_SUBJECT}.${frame.room}`, frame, {
      headers: { origin: this.mark },
    })
  }

  private async fromBus(m: BusMessage<BusRoomEvents>): Promise<void> {
    // A run of one room; a node of the previous version publishes one event per message.
    const events = Array.isArray(m.data) ? m.data : [m.data]
    if (events.length > 0) this.accept(events[0]!.room, events)
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

  /**
   * Take events of one room: those that continue the feed are delivered (with any held events they
   * make next) as one run; those ahead of a gap are held while the gap is read from PostgreSQL;
   * those already delivered are dropped.
   */
  private accept(room: number, events: RoomEvent[]): void {
    const feed = this.feeds.get(room)
    if (!feed) return
    if (feed.head < 0) {
      // The head is being read: hold everything; `attach` drains once it is known.
      for (const e of events) feed.ahead.set(e.offset, e)
      return
    }
    let run: RoomEvent[] | undefined
    let next = feed.head + 1
    let gapTo = 0
    for (const e of events) {
      if (e.offset === next) {
        if (run) run.push(e)
        else run = [e]
        next++
      } else if (e.offset > next) {
        feed.ahead.set(e.offset, e)
        gapTo = Math.max(gapTo, e.offset)
      }
    }
    if (run) this.deliver(feed, run)
    else this.drain(feed)
    if (gapTo > feed.head + 1) void this.fill(feed, gapTo)
  }

  /** Hand `events` (consecutive, starting at head + 1) and any held events they make next to every listener. */
  private deliver(feed: Feed, events: RoomEvent[]): void {
    let next = events[events.length - 1]!.offset + 1
    for (let held = feed.ahead.get(next); held; held = feed.ahead.get(next)) {
      feed.ahead.delete(next)
      events.push(held)
      next++
    }
    feed.head = next - 1
    const run = new EventRun(feed.room, events)
    // A listener may detach while we deliver (a resync, a member who left): Set iteration allows it.
    for (const l of feed.listeners) l.onEvents(run)
  }

  /** Deliver held events that have become next. */
  private drain(feed: Feed): void {
    const next = feed.ahead.get(feed.head + 1)
    if (!next) return
    feed.ahead.delete(next.offset)
    this.deliver(feed, [next])
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
        const run: RoomEvent[] = []
        for (const e of events) if (e.offset === feed.head + 1 + run.length) run.push(e)
        if (run.length > 0) this.deliver(feed, run)
        else this.drain(feed)
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
