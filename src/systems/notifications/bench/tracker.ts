/**
 * What the notifications benchmark measures, for one subject: every trigger gets a sequence
 * number and the time it was sent; its in-app delivery (a live inbox event, or the floor's
 * handler) and its webhook (a POST at the bench's receiver) are matched back to it by that number.
 * The load (`producersLoad`) runs closed-loop producers for the slice, then waits for what they
 * triggered to arrive (at most `DRAIN_MS`), so the delivery rate is end to end: deliveries over
 * the time it took to make and deliver them, not the rate a backlog is accepted at.
 */
import { median, percentile } from '../../../../bench/harness/stats.js'
import type { CustomLoad, StartedServer } from '../../../../bench/types.js'

/** How long a slice waits, after its producers stop, for their deliveries. */
const DRAIN_MS = process.env.BENCH_SMOKE ? 20_000 : 15_000

interface Slice {
  triggers: number
  produceSec: number
  totalSec: number
  webhooks: number
}

/** Send times, arrivals and per-slice counts of one subject. */
export class Tracker {
  private readonly sentAt = new Map<number, number>()
  private readonly waitingInApp = new Set<number>()
  private readonly waitingWebhook = new Set<number>()
  private nextSeq = 1
  private slice: { inApp: number; inAppLat: number[]; webhooks: number } = {
    inApp: 0,
    inAppLat: [],
    webhooks: 0,
  }
  /** By producer count (one scenario each; a subject's server serves every scenario). */
  private readonly webhookLat = new Map<number, number[]>()
  private readonly slices = new Map<number, Slice[]>()
  private level = 0
  /** Arrivals of a trigger already delivered on that channel (a resend): should stay 0. */
  duplicates = 0
  private settled: (() => void) | undefined

  /** A new trigger about to be sent: its sequence number. */
  begin(): number {
    const seq = this.nextSeq++
    this.sentAt.set(seq, performance.now())
    this.waitingInApp.add(seq)
    this.waitingWebhook.add(seq)
    return seq
  }

  /** The trigger was refused: nothing will arrive for it. */
  failed(seq: number): void {
    this.waitingInApp.delete(seq)
    this.waitingWebhook.delete(seq)
    this.sentAt.delete(seq)
  }

  /** Trigger `seq`'s in-app message arrived. */
  inApp(seq: number): void {
    if (!this.waitingInApp.delete(seq)) {
      this.duplicates++
      return
    }
    this.slice.inApp++
    this.slice.inAppLat.push(performance.now() - (this.sentAt.get(seq) ?? Number.NaN))
    this.arrived(seq)
  }

  /** Trigger `seq`'s webhook arrived at the receiver. */
  webhook(seq: number): void {
    if (!this.waitingWebhook.delete(seq)) {
      this.duplicates++
      return
    }
    this.slice.webhooks++
    this.listOf(this.webhookLat, this.level).push(performance.now() - (this.sentAt.get(seq) ?? Number.NaN))
    this.arrived(seq)
  }

  private listOf<T>(m: Map<number, T[]>, key: number): T[] {
    let list = m.get(key)
    if (!list) {
      list = []
      m.set(key, list)
    }
    return list
  }

  private arrived(seq: number): void {
    if (!this.waitingInApp.has(seq) && !this.waitingWebhook.has(seq)) this.sentAt.delete(seq)
    if (this.waitingInApp.size === 0 && this.waitingWebhook.size === 0) this.settled?.()
  }

  /** Resolves when nothing is in flight, or after `ms`. */
  private async drain(ms: number): Promise<void> {
    if (this.waitingInApp.size === 0 && this.waitingWebhook.size === 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.settled = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.settled = undefined
  }

  /**
   * One slice: `producers` closed-loop callers of `trigger` until `durationMs` has passed, then the
   * drain. ops = in-app deliveries that arrived during it, latencies theirs (trigger sent -> arrived).
   */
  async runSlice(
    durationMs: number,
    producers: number,
    trigger: (seq: number) => Promise<void>,
  ): Promise<{ ops: number; latenciesMs: number[]; errors: number }> {
    this.slice = { inApp: 0, inAppLat: [], webhooks: 0 }
    this.level = producers
    const t0 = performance.now()
    const end = Date.now() + durationMs
    let triggers = 0
    let errors = 0
    await Promise.all(
      Array.from({ length: producers }, async () => {
        while (Date.now() < end) {
          const seq = this.begin()
          try {
            await trigger(seq)
            triggers++
          } catch {
            this.failed(seq)
            errors++
          }
        }
      }),
    )
    const produceSec = (performance.now() - t0) / 1000
    await this.drain(DRAIN_MS)
    const totalSec = (performance.now() - t0) / 1000
    this.listOf(this.slices, producers).push({
      triggers,
      produceSec,
      totalSec,
      webhooks: this.slice.webhooks,
    })
    return { ops: this.slice.inApp, latenciesMs: this.slice.inAppLat, errors }
  }

  /** The figures beyond the in-app rate, over the slices of that producer count (warm-up included): medians of per-slice rates. */
  measures(producers: number): Record<string, number> {
    const slices = this.slices.get(producers) ?? []
    const lat = this.webhookLat.get(producers) ?? []
    return {
      triggersPerSecAccepted: median(slices.map((s) => s.triggers / s.produceSec)),
      webhookDeliveriesPerSec: median(slices.map((s) => s.webhooks / s.totalSec)),
      webhookP99Ms: lat.length > 0 ? percentile(lat, 99) : Number.NaN,
      notArrivedAtEnd: this.waitingInApp.size + this.waitingWebhook.size,
      duplicates: this.duplicates,
    }
  }
}

/** The tracker behind a started subject (set by its start). */
export const trackers = new WeakMap<
  StartedServer,
  { tracker: Tracker; trigger: (seq: number) => Promise<void> }
>()

/** A load of `producers` closed-loop producers against the subject's trigger (see Tracker.runSlice). */
export function producersLoad(producers: number): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs, server }) {
      const side = server && trackers.get(server)
      if (!side) throw new Error('the subject was not started')
      return side.tracker.runSlice(durationMs, producers, side.trigger)
    },
  }
}
