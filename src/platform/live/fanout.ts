/**
 * Fan-out of one stream kind's events to this node's connections.
 *
 * Every node receives every event of the kind on one Bus broadcast subscription
 * (`<system>.<kind>.>`, the stream id is the subject's last token) and keeps,
 * per stream that has local listeners, a feed whose `head` is the last offset
 * handed to them. Events reach a feed out of order (two nodes write one stream;
 * the bus is best-effort), so the feed reorders: offset head+1 is delivered, a
 * later one waits while the gap is read from the kind's history. That read
 * always succeeds at once, because offsets are taken under the stream's
 * counter lock: offset N+1 cannot exist before N committed. A periodic sweep
 * compares feed heads with the history's heads and fills what the bus never
 * brought (a node that died between commit and publish). Listeners therefore
 * see each stream as one gap-free, duplicate-free sequence.
 *
 * Events travel in runs: what one commit wrote to a stream is one bus message
 * and one delivery, its frames made once for every listener (wire.ts), so a
 * reader gets a commit in one socket write (one `batch` frame in protocol v2).
 * Signals (typing, a receipt, "the stream ended") reach the listeners of a
 * stream on every node without an offset and without being stored.
 */
import type { Bus, BusMessage, Subscription } from '../bus/port.js'
import type { Logger } from '../telemetry/logger.js'
import { isLegacyCopy, LEGACY_COPY_HEADER } from './legacy-subjects.js'
import type { BusSignal, LegacySignals, LiveEvent, StreamKindHandle, StreamRef } from './stream-kind.js'
import { EventRun, type SignalRun } from './wire.js'

/** What a feed hands events and signals to (one per connection and stream). */
export interface FeedListener {
  readonly user: string
  /** Consecutive events, in offset order; the run and its frames are shared by every listener. */
  onEvents(run: EventRun): void
  /** A frame without an offset, shared by every listener of the stream. */
  onSignal(signal: SignalRun): void
}

export type { BusSignal } from './stream-kind.js'

/** The Bus subject prefix of a kind's signals (`live.signal.<system>.<kind>.<id>`). */
export const SIGNAL_SUBJECT = 'live.signal'

class Feed {
  /** The stream (made once: every run delivered names it). */
  readonly ref: StreamRef
  /** The last offset delivered to listeners; -1 until the stream's head is read. */
  head = -1
  readonly listeners = new Set<FeedListener>()
  /** Events past a gap, by offset. */
  readonly ahead = new Map<number, LiveEvent>()
  filling = false
  /** The head seen lagging behind the history at the previous sweep (-1: not lagging). */
  lagAt = -1
  ready: Promise<void> | undefined

  constructor(
    readonly id: string,
    kind: StreamKindHandle,
  ) {
    this.ref = kind.ref(id)
  }
}

export interface FanoutStats {
  gapFills: number
  sweepFills: number
}

export class Fanout {
  private readonly feeds = new Map<string, Feed>()
  private subs: Subscription[] = []
  private sweeper: NodeJS.Timeout | undefined
  /** Marks this node's signals on the bus, so it does not deliver its own twice. */
  private readonly mark = Math.random().toString(36).slice(2)
  readonly stats: FanoutStats = { gapFills: 0, sweepFills: 0 }
  private readonly sweepMs: number
  private readonly page: number

  /** The kind's signals on the subject of nodes before this library too (LIVE_LEGACY_SUBJECTS). */
  private readonly legacy: LegacySignals | undefined

  constructor(
    private readonly kind: StreamKindHandle,
    private readonly bus: Bus,
    private readonly log: Logger,
    legacySubjects = false,
  ) {
    this.sweepMs = kind.spec.sweepMs ?? 1_000
    this.page = kind.spec.replayPage ?? 500
    this.legacy = legacySubjects ? kind.spec.legacySignals : undefined
  }

  async start(): Promise<void> {
    this.subs.push(
      await this.bus.subscribe<LiveEvent[] | LiveEvent>(`${this.kind.name}.>`, (m) => this.fromBus(m), {
        concurrency: 64,
      }),
      await this.bus.subscribe<BusSignal>(
        `${SIGNAL_SUBJECT}.${this.kind.name}.>`,
        (m) => this.fromBusSignal(m),
        {
          concurrency: 64,
        },
      ),
    )
    const legacy = this.legacy
    if (legacy)
      this.subs.push(
        await this.bus.subscribe(`${legacy.subject}.>`, (m) => this.fromLegacySignal(legacy, m), {
          concurrency: 64,
        }),
      )
    this.sweeper = setInterval(() => void this.sweep(), this.sweepMs)
    this.sweeper.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper)
    for (const s of this.subs) await s.close()
    this.subs = []
  }

  /** Streams with local listeners. */
  get streamCount(): number {
    return this.feeds.size
  }

  /**
   * Add a listener to a stream's feed; resolves with the feed's head at that moment:
   * the listener gets every event after it live, and reads the ones up to it itself.
   */
  async attach(id: string, listener: FeedListener): Promise<number> {
    let feed = this.feeds.get(id)
    if (!feed) {
      const created = new Feed(id, this.kind)
      feed = created
      this.feeds.set(id, created)
      created.ready = this.kind.spec.history.heads([id]).then((heads) => {
        created.head = heads.get(id) ?? 0
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
      if (this.feeds.get(id) === feed) this.feeds.delete(id)
      feed.listeners.delete(listener)
      throw err
    }
    return feed.head
  }

  detach(id: string, listener: FeedListener): void {
    const feed = this.feeds.get(id)
    if (!feed) return
    feed.listeners.delete(listener)
    if (feed.listeners.size === 0) this.feeds.delete(id)
  }

  /**
   * Publish committed events (grouped by stream, each stream's in offset order): each stream's run
   * is delivered here at once (before this returns), then sent on the Bus as one message. Resolves
   * once the Bus has them; never rejects: the events are committed, and other nodes' sweeps fill
   * what the bus loses (so a caller may also not wait, and a slow bus never delays it).
   */
  publish(events: readonly LiveEvent[]): Promise<void> {
    const streamOf = this.kind.spec.streamOf
    // Every run is delivered here before any is sent on the Bus (a send may take a while).
    const ids: string[] = []
    const runs: LiveEvent[][] = []
    for (let i = 0; i < events.length; ) {
      const id = streamOf(events[i]!)
      let j = i + 1
      while (j < events.length && streamOf(events[j]!) === id) j++
      const run = i === 0 && j === events.length ? (events as LiveEvent[]) : events.slice(i, j)
      this.accept(id, run)
      ids.push(id)
      runs.push(run)
      i = j
    }
    if (runs.length === 1) return this.send(ids[0]!, runs[0]!)
    return Promise.all(runs.map((run, k) => this.send(ids[k]!, run))).then(() => {})
  }

  /** One run on the Bus; a failure is logged (the sweeps of other nodes fill it), never thrown. */
  private send(id: string, run: LiveEvent[]): Promise<void> {
    return this.bus
      .publish(`${this.kind.name}.${id}`, run)
      .catch((err) =>
        this.log.warn(
          { err, stream: `${this.kind.name}.${id}`, offsets: [run[0]!.offset, run[run.length - 1]!.offset] },
          'stream events not published; sweeps will fill them',
        ),
      )
  }

  /** Send a signal to the listeners of stream `id` on every node (rejects when the bus refused it). */
  async signal(id: string, signal: BusSignal): Promise<void> {
    this.acceptSignal(id, signal)
    await this.bus.publish(`${SIGNAL_SUBJECT}.${this.kind.name}.${id}`, signal, {
      headers: { origin: this.mark },
    })
    const old = this.legacy?.encode(id, signal)
    if (old !== undefined)
      await this.bus.publish(`${this.legacy!.subject}.${id}`, old, {
        headers: { origin: this.mark, [LEGACY_COPY_HEADER]: '1' },
      })
  }

  private async fromBus(m: BusMessage<LiveEvent[] | LiveEvent>): Promise<void> {
    // A run of one stream; a chat node of the version before this library published one event per message.
    const events = Array.isArray(m.data) ? m.data : [m.data]
    if (events.length > 0) this.accept(lastToken(m.subject), events)
  }

  private async fromBusSignal(m: BusMessage<BusSignal>): Promise<void> {
    // Our own signals were delivered locally when published.
    if (m.headers.origin === this.mark) return
    this.acceptSignal(lastToken(m.subject), m.data)
  }

  /** A signal from a node before this library (new nodes' copies there are skipped: they came on the new subject). */
  private async fromLegacySignal(legacy: LegacySignals, m: BusMessage<unknown>): Promise<void> {
    if (isLegacyCopy(m.headers)) return
    const id = lastToken(m.subject)
    const signal = legacy.decode(id, m.data)
    if (signal) this.acceptSignal(id, signal)
  }

  private acceptSignal(id: string, signal: BusSignal): void {
    const feed = this.feeds.get(id)
    if (!feed) return
    const run: SignalRun = {
      ref: feed.ref,
      text: JSON.stringify(signal.frame),
      except: signal.except,
      end: signal.end,
    }
    for (const l of [...feed.listeners]) l.onSignal(run)
  }

  /**
   * Take events of one stream: those that continue the feed are delivered (with any held events
   * they make next) as one run; those ahead of a gap are held while the gap is read from the
   * history; those already delivered are dropped.
   */
  private accept(id: string, events: readonly LiveEvent[]): void {
    const feed = this.feeds.get(id)
    if (!feed) return
    if (feed.head < 0) {
      // The head is being read: hold everything; `attach` drains once it is known.
      for (const e of events) feed.ahead.set(e.offset, e)
      return
    }
    let run: LiveEvent[] | undefined
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
  private deliver(feed: Feed, events: LiveEvent[]): void {
    let next = events[events.length - 1]!.offset + 1
    for (let held = feed.ahead.get(next); held; held = feed.ahead.get(next)) {
      feed.ahead.delete(next)
      events.push(held)
      next++
    }
    feed.head = next - 1
    const run = new EventRun(feed.ref, events)
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

  /** Read the gap (head, upTo) from the history and deliver it with what was held. */
  private async fill(feed: Feed, upTo: number): Promise<void> {
    if (feed.filling) return
    feed.filling = true
    try {
      while (feed.head + 1 < upTo && this.feeds.get(feed.id) === feed) {
        const events = await this.kind.spec.history.read(feed.id, feed.head, upTo, this.page)
        if (events.length === 0) break
        this.stats.gapFills++
        const run: LiveEvent[] = []
        for (const e of events) if (e.offset === feed.head + 1 + run.length) run.push(e)
        if (run.length > 0) this.deliver(feed, run)
        else this.drain(feed)
      }
    } catch (err) {
      this.log.warn(
        { err, stream: `${this.kind.name}.${feed.id}` },
        'gap fill failed; the next sweep retries',
      )
    } finally {
      feed.filling = false
    }
    this.drain(feed)
    const maxAhead = Math.max(0, ...feed.ahead.keys())
    if (maxAhead > feed.head + 1 && this.feeds.get(feed.id) === feed)
      setImmediate(() => void this.fill(feed, maxAhead))
  }

  /** Compare every feed with its stream's head; fill a feed that lagged at two sweeps in a row. */
  private async sweep(): Promise<void> {
    const ids = [...this.feeds.values()].filter((f) => f.head >= 0).map((f) => f.id)
    if (ids.length === 0) return
    let heads: Map<string, number>
    try {
      heads = await this.kind.spec.history.heads(ids)
    } catch (err) {
      this.log.warn({ err, kind: this.kind.name }, 'sweep could not read stream heads')
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

function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1)
}
