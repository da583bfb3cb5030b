/**
 * A Mercure hub inside the shortener: subscribers hold a Server-Sent Events
 * stream (mercure.routes.ts) and receive the updates whose topics they asked
 * for and their token allows. Updates go out through the Bus (a broadcast:
 * every process gets every update, its own included), so a subscriber on
 * any process sees the visits of all of them, in one order everywhere.
 *
 * Reconnection: each process keeps the last URL_SHORTENER_MERCURE_HISTORY
 * updates; a subscriber that comes back with `Last-Event-ID` gets what it
 * missed, from any process (ids are chosen by the publisher, and all
 * processes keep the same updates in the same order). An id older than the
 * history gets nothing replayed, as an external hub with a bounded history.
 *
 * Cost when nobody listens: none. Building a visit's update costs a short
 * URL lookup and two JSON documents, so the publisher asks `wanted` first:
 * true while this process has a subscriber, for a grace period after the
 * last one left (an EventSource reconnects within seconds and replays), and
 * while another process says it has one (a presence message every few
 * seconds on the Bus).
 */
import { randomUUID } from 'node:crypto'
import type { Bus, Subscription } from '../../platform/bus/port.js'
import type { Worker } from '../../platform/system.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import { anyMatch } from './mercure.topics.js'

export const UPDATES_SUBJECT = 'url-shortener.mercure-updates'
export const PRESENCE_SUBJECT = 'url-shortener.mercure-presence'

/** How often a process with subscribers says so, and how long a process believes it. */
const PRESENCE_EVERY_MS = 5_000
const PRESENCE_VALID_MS = 3 * PRESENCE_EVERY_MS
/** How long updates are still built after the last subscriber left (covers a reconnect). */
const GRACE_MS = 60_000
/** A subscriber this far behind (bytes not yet taken by its socket) is cut; it reconnects and replays. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024
/** Bus messages stay well under NATS' default 1 MB payload limit. */
const MAX_MESSAGE_BYTES = 512 * 1024

export interface MercureUpdate {
  /** The SSE `id`: `urn:uuid:...`, chosen by the publisher. */
  id: string
  topics: string[]
  /** The SSE `data`: a JSON document (one line). */
  data: string
  /** Private updates reach only subscribers whose token selects one of their topics. */
  private: boolean
}

export interface HubSubscriber {
  /** What the subscriber asked for (`topic` query parameters). */
  topics: readonly string[]
  /** What its token allows (`mercure.subscribe`); null for an anonymous subscriber. */
  allowed: readonly string[] | null
  /** Write a chunk of the SSE stream; returns the bytes still waiting in the socket. */
  write(chunk: string): number
  close(): void
}

export interface MercureHubOptions {
  history: number
  maxSubscribers: number
  log: Logger
  onPublished?: (updates: number) => void
}

interface UpdatesMessage {
  updates: MercureUpdate[]
}

/** One update as an SSE event. */
function frame(u: MercureUpdate): string {
  return `id: ${u.id}\ndata: ${u.data}\n\n`
}

export class MercureHub implements Worker {
  readonly name = 'url-shortener:mercure-hub'
  /** This process's id on the presence subject. */
  private readonly origin = randomUUID()
  private readonly subscribers = new Set<HubSubscriber>()
  private readonly history: MercureUpdate[] = []
  private readonly subscriptions: Subscription[] = []
  private lastLocalAt = 0
  private remoteUntil = 0
  private presenceTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly bus: Bus,
    private readonly opts: MercureHubOptions,
  ) {}

  async start(): Promise<void> {
    this.subscriptions.push(
      await this.bus.subscribe<UpdatesMessage>(UPDATES_SUBJECT, async (msg) => {
        if (Array.isArray(msg.data?.updates)) this.dispatch(msg.data.updates)
      }),
      await this.bus.subscribe<{ origin: string }>(PRESENCE_SUBJECT, async (msg) => {
        if (msg.data?.origin !== this.origin) this.remoteUntil = Date.now() + PRESENCE_VALID_MS
      }),
    )
    this.presenceTimer = setInterval(() => {
      if (this.localWanted()) this.announce()
    }, PRESENCE_EVERY_MS)
    this.presenceTimer.unref()
    // A comment line keeps proxies from closing an idle stream and tells a dead socket apart.
    this.heartbeatTimer = setInterval(() => {
      for (const s of this.subscribers) this.send(s, ':\n\n')
    }, 15_000)
    this.heartbeatTimer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.presenceTimer)
    clearInterval(this.heartbeatTimer)
    for (const s of this.subscriptions.splice(0)) await s.close()
    this.closeAll()
  }

  /** End every stream (shutdown: an SSE request never finishes by itself, so the server would wait for it). */
  closeAll(): void {
    for (const s of this.subscribers) s.close()
    this.subscribers.clear()
  }

  /** Whether updates are worth building: someone, here or on another process, may receive them. */
  get wanted(): boolean {
    return this.localWanted() || Date.now() < this.remoteUntil
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  get full(): boolean {
    return this.subscribers.size >= this.opts.maxSubscribers
  }

  /** The id of the newest update kept here, or `earliest` when none (Mercure's `Last-Event-ID` answer). */
  get lastEventId(): string {
    return this.history.at(-1)?.id ?? 'earliest'
  }

  /** Publish updates to every process's subscribers; ids are assigned here. Never rejects. */
  async publish(updates: Omit<MercureUpdate, 'id'>[]): Promise<void> {
    const all = updates.map((u) => ({ id: `urn:uuid:${randomUUID()}`, ...u }))
    let chunk: MercureUpdate[] = []
    let bytes = 0
    const flush = async () => {
      if (chunk.length === 0) return
      const msg: UpdatesMessage = { updates: chunk }
      chunk = []
      bytes = 0
      try {
        await this.bus.publish(UPDATES_SUBJECT, msg)
        this.opts.onPublished?.(msg.updates.length)
      } catch (err) {
        // The Bus is away: this process's subscribers still get them; other processes miss them.
        this.opts.log.warn({ err, updates: msg.updates.length }, 'mercure updates not broadcast')
        this.dispatch(msg.updates)
      }
    }
    for (const u of all) {
      const size = u.data.length + 200
      if (bytes + size > MAX_MESSAGE_BYTES) await flush()
      chunk.push(u)
      bytes += size
    }
    await flush()
  }

  /**
   * Add a subscriber, first replaying what it missed after `lastEventId`
   * (`earliest`: everything kept). Returns the function that removes it.
   */
  open(sub: HubSubscriber, lastEventId: string | undefined): () => void {
    if (lastEventId !== undefined) {
      const at = lastEventId === 'earliest' ? 0 : this.history.findIndex((u) => u.id === lastEventId) + 1
      if (at > 0 || lastEventId === 'earliest')
        for (const u of this.history.slice(at)) if (this.selects(sub, u)) this.send(sub, frame(u))
    }
    const first = this.subscribers.size === 0
    this.subscribers.add(sub)
    this.lastLocalAt = Date.now()
    if (first) this.announce()
    return () => {
      if (this.subscribers.delete(sub)) this.lastLocalAt = Date.now()
    }
  }

  private localWanted(): boolean {
    return this.subscribers.size > 0 || Date.now() - this.lastLocalAt < GRACE_MS
  }

  private announce(): void {
    this.bus.publish(PRESENCE_SUBJECT, { origin: this.origin }).catch((err) => {
      this.opts.log.warn({ err }, 'mercure presence not broadcast')
    })
  }

  private dispatch(updates: MercureUpdate[]): void {
    for (const u of updates) {
      this.history.push(u)
      let text: string | undefined
      for (const s of this.subscribers) {
        if (!this.selects(s, u)) continue
        text ??= frame(u)
        this.send(s, text)
      }
    }
    const excess = this.history.length - this.opts.history
    if (excess > 0) this.history.splice(0, excess)
  }

  private selects(s: HubSubscriber, u: MercureUpdate): boolean {
    if (!anyMatch(s.topics, u.topics)) return false
    if (!u.private) return true
    return s.allowed !== null && anyMatch(s.allowed, u.topics)
  }

  private send(s: HubSubscriber, chunk: string): void {
    if (s.write(chunk) > MAX_BACKLOG_BYTES) {
      this.opts.log.info('mercure subscriber too slow; closed (it reconnects and replays)')
      this.subscribers.delete(s)
      s.close()
    }
  }
}
