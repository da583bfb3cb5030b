/**
 * Cache invalidation across processes. An edit, a delete or a create drops
 * the code from this process's LRU at once, then tells every other process
 * over the Bus (a broadcast subscription: each process gets every message),
 * and they drop it too. Redis needs no message: the writer already replaced
 * the entry there (write-through, versioned).
 *
 * Codes from many requests are coalesced into one message per tick, so a
 * burst of creates costs a handful of messages, not one per create. Writes
 * wait for their message to be accepted by the Bus before they answer; the
 * other processes then drop the code within their delivery latency
 * (milliseconds; the multi-process test holds it to under a second).
 *
 * Broadcasts are best-effort: a process that misses one keeps the old entry
 * until its LRU TTL (URL_SHORTENER_LRU_TTL_MS) expires it.
 */
import { randomUUID } from 'node:crypto'
import type { Bus, Subscription } from '../../platform/bus/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { LocalCache } from './cache.lru.js'

export const INVALIDATION_SUBJECT = 'url-shortener.codes-changed'

interface Message {
  origin: string
  codes: string[]
}

export class Invalidator {
  /** This process, so it can skip its own messages (it invalidated synchronously). */
  readonly origin = randomUUID()
  private pending: string[] = []
  private scheduled: Promise<void> | undefined
  private subscription: Subscription | undefined

  constructor(
    private readonly bus: Bus,
    private readonly local: LocalCache,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<Message>(INVALIDATION_SUBJECT, async (msg) => {
      if (msg.data?.origin === this.origin || !Array.isArray(msg.data?.codes)) return
      this.local.invalidate(msg.data.codes)
    })
  }

  async stop(): Promise<void> {
    await this.scheduled?.catch(() => {})
    await this.subscription?.close()
    this.subscription = undefined
  }

  /** Drop `codes` here now and everywhere else soon; resolves once the Bus has the message (never rejects). */
  invalidate(codes: readonly string[]): Promise<void> {
    if (codes.length === 0) return Promise.resolve()
    this.local.invalidate(codes)
    this.pending.push(...codes)
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.publish())
    return this.scheduled
  }

  private async publish(): Promise<void> {
    const codes = this.pending
    this.pending = []
    this.scheduled = undefined
    // Bound the message size: a batch create of 1,000 long slugs stays well under NATS' 1 MB.
    for (let i = 0; i < codes.length; i += 2_000) {
      const msg: Message = { origin: this.origin, codes: codes.slice(i, i + 2_000) }
      try {
        await this.bus.publish(INVALIDATION_SUBJECT, msg)
      } catch (err) {
        // The write itself succeeded; failing the request would only make the client retry it.
        this.log.warn(
          { err, codes: msg.codes.length },
          'cache invalidation not broadcast; other processes keep the old entry until its TTL',
        )
      }
    }
  }
}
