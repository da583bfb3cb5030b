/**
 * Visits are recorded without slowing redirects: the redirect pushes a
 * small record into this buffer (no I/O, no parsing), and a Worker writes
 * the buffer in one transaction every URL_SHORTENER_VISITS_FLUSH_MS (or as
 * soon as URL_SHORTENER_VISITS_BATCH visits are waiting). Bot detection and
 * geolocation run here too, off the request path (bot verdicts cached per
 * user agent); once written, visits are handed to the Mercure publisher.
 *
 * What can be lost:
 * - graceful shutdown: nothing. The platform stops accepting requests and
 *   drains them first, then stops workers; `stop()` writes what is left.
 * - a crash (SIGKILL, OOM): the visits of the last flush interval (default
 *   500 ms) and of a flush in flight. Links with maxVisits lose no count:
 *   they are counted in PostgreSQL on the redirect itself.
 * - the database unreachable: visits wait in memory (retried every interval)
 *   up to URL_SHORTENER_VISITS_BUFFER_MAX, beyond which new ones are dropped
 *   and counted in `url_shortener_visits_dropped_total`.
 */
import { isbot } from 'isbot'
import type { Worker } from '../../platform/system.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { OrphanVisitRecord, VisitLocation, VisitStore } from './ports.js'
import { VisitBatch, type VisitShape } from './visits.batch.js'

export interface VisitBufferOptions {
  flushMs: number
  batch: number
  max: number
  log: Logger
  onFlushed?: (count: number) => void
  onDropped?: (count: number) => void
  /** Geolocation of a client address (absent: geolocation off). */
  locate?: (ip: string) => VisitLocation | null
  /** The visits and orphan visits of a flush, once written (the Mercure publisher). */
  onWritten?: (visits: VisitBatch, orphans: OrphanVisitRecord[]) => void
}

const BOT_CACHE_MAX = 10_000

export class VisitBuffer implements Worker {
  readonly name = 'url-shortener:visits-flusher'
  private buffer = new VisitBatch()
  /**
   * Each link's latest shape in this buffer (visits.batch.ts): a visit like the link's previous one
   * reuses it. Emptied with the buffer, so a shape (and the client address it holds until the
   * flush) belongs to one flush.
   */
  private latest = new Map<number, VisitShape>()
  /** Visits that found no short URL (Shlink's orphan visits), written with the others. */
  private orphans: OrphanVisitRecord[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private readonly botVerdicts = new Map<string, boolean>()

  constructor(
    private readonly store: VisitStore,
    private readonly opts: VisitBufferOptions,
  ) {}

  /** A visit of a short URL (positional: the redirect path allocates nothing for a visit like the link's last). */
  record(
    shortUrlId: number,
    shortCode: string,
    at: number,
    referer: string | null,
    userAgent: string | null,
    visitedUrl: string | null,
    redirectUrl: string | null,
    counted: boolean,
    ip: string | undefined,
  ): void {
    if (this.buffer.length >= this.opts.max) {
      this.opts.onDropped?.(1)
      return
    }
    let shape = this.latest.get(shortUrlId)
    if (
      shape === undefined ||
      shape.visitedUrl !== visitedUrl ||
      shape.redirectUrl !== redirectUrl ||
      shape.userAgent !== userAgent ||
      shape.referer !== referer ||
      shape.counted !== counted ||
      shape.ip !== ip ||
      shape.shortCode !== shortCode
    ) {
      shape = { shortUrlId, shortCode, referer, userAgent, visitedUrl, redirectUrl, counted, ip }
      this.latest.set(shortUrlId, shape)
    }
    this.buffer.push(shape, at)
    if (this.buffer.length === this.opts.batch) void this.flush()
  }

  recordOrphan(visit: OrphanVisitRecord): void {
    if (this.orphans.length >= this.opts.max) {
      this.opts.onDropped?.(1)
      return
    }
    this.orphans.push(visit)
  }

  get pending(): number {
    return this.buffer.length
  }

  async start(): Promise<void> {
    // Visits a killed process flushed but did not roll up yet (PGlite's journal) become visible now.
    await this.store.settle().catch((err) => this.opts.log.warn({ err }, 'settling visits at start failed'))
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.flushing
    // Write everything left; a failing database gets a few tries before we give up and say so.
    for (let attempt = 1; this.hasWork() && attempt <= 3; attempt++) {
      await this.flush()
      if (this.hasWork()) await new Promise((r) => setTimeout(r, 200 * attempt))
    }
    if (this.hasWork())
      this.opts.log.error({ lost: this.buffer.length }, 'visits could not be written before shutdown')
    // Written visits are durable either way; rolled up now, the next start has nothing to finish.
    await this.store.settle().catch((err) => this.opts.log.warn({ err }, 'settling visits at stop failed'))
  }

  /**
   * Write what is buffered now: when it resolves, every visit recorded before the call is written.
   * A flush already in progress carries only what was buffered when it began, so wait for it first.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
    if (!this.hasWork()) return
    this.flushing = this.write().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  private hasWork(): boolean {
    return this.buffer.length > 0 || this.orphans.length > 0
  }

  private async write(): Promise<void> {
    if (!this.hasWork()) return
    const visits = this.buffer
    const orphans = this.orphans
    this.buffer = new VisitBatch()
    this.latest = new Map()
    this.orphans = []
    const locate = this.opts.locate
    // One client's visits of a flush share a lookup (and a location object).
    const located = new Map<string, VisitLocation | null>()
    const place = (v: VisitShape | OrphanVisitRecord) => {
      // Located once (a retried flush keeps it), and the address is not kept beyond this point.
      if (v.ip === undefined) return
      let l = located.get(v.ip)
      if (l === undefined) {
        l = locate ? locate(v.ip) : null
        located.set(v.ip, l)
      }
      v.location = l
      v.ip = undefined
    }
    // Per shape, not per visit (a retried flush finds its shapes done already).
    for (const v of visits.distinctShapes()) {
      if (v.potentialBot === undefined) v.potentialBot = this.isBot(v.userAgent)
      place(v)
    }
    for (const o of orphans) {
      o.potentialBot = this.isBot(o.userAgent)
      place(o)
    }
    try {
      await this.store.writeBatch(visits, orphans)
      this.opts.onFlushed?.(visits.length)
      this.opts.onWritten?.(visits, orphans)
    } catch (err) {
      // Put them back in front of anything that arrived meanwhile, within the cap.
      const room = Math.max(0, this.opts.max - this.buffer.length)
      const kept = visits.head(room)
      if (kept.length < visits.length) this.opts.onDropped?.(visits.length - kept.length)
      this.buffer = kept.concat(this.buffer)
      this.orphans = orphans.concat(this.orphans).slice(0, this.opts.max)
      this.opts.log.warn({ err, pending: this.buffer.length }, 'writing visits failed; will retry')
      return
    }
    // Written (durable); a failed roll-up is retried after a later flush, the visits stay in the journal.
    await this.store
      .settle(true)
      .catch((err) => this.opts.log.warn({ err }, 'rolling the visits journal up failed; will retry'))
  }

  /** Shlink's `potentialBot`: crawlers, HTTP libraries and headless browsers by user agent. */
  private isBot(userAgent: string | null): boolean {
    if (!userAgent) return false
    let verdict = this.botVerdicts.get(userAgent)
    if (verdict === undefined) {
      verdict = isbot(userAgent)
      if (this.botVerdicts.size >= BOT_CACHE_MAX) this.botVerdicts.clear()
      this.botVerdicts.set(userAgent, verdict)
    }
    return verdict
  }
}
