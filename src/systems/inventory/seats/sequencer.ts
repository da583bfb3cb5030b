/**
 * The seat map's sequencer: gives committed seat changes (`seat_changes`, appended by holds,
 * confirms, releases and expiries in their own transactions) their dense per-show offsets in
 * `seat_events`, and hands them to the live seat map. It is what keeps the show's counter row
 * (`shows.last_offset`) out of the hold's transaction (README, "The hot row"): a hold appends a
 * change and commits without waiting for any other buyer's commit; the sequencer then takes the
 * counter once per batch, for every change of the batch.
 *
 * One batch at a time in the whole database (a transaction advisory lock, per schema): batch k+1
 * reads after batch k committed, so offsets follow on. Within a batch, changes are numbered in id
 * order. A seat's later change always has the larger id and commits after the earlier one (it
 * waited for that one's row lock), so a seat's changes reach viewers in the order they happened.
 *
 * Every process runs one: its writes nudge it right after their commit (a viewer sees a hold
 * within a few milliseconds), and a timer runs it every `intervalMs` for changes whose writer died
 * between its commit and its nudge. A sequencer killed between its commit and its publish loses
 * nothing: platform/live's sweep reads the events from `seat_events`.
 */
import type { Db } from '../../../platform/db/port.js'
import type { Worker } from '../../../platform/system.js'
import type { SeatEvent } from './ports.js'
import type { SeatStore } from './store.pg.js'

/** The most changes one batch moves: bounds a batch's transaction (and a viewer's first frame). */
export const SEQUENCE_BATCH = 2_000

export class SeatSequencer implements Worker {
  readonly name = 'inventory.seat-sequencer'
  private running: Promise<void> | undefined
  private again = false
  private stopped = true
  private timer: NodeJS.Timeout | undefined
  /** Batches committed and changes sequenced by this process (metrics, tests). */
  batches = 0
  sequenced = 0

  constructor(
    private readonly db: Db,
    private readonly store: SeatStore,
    private readonly publish: (events: SeatEvent[]) => Promise<void> | void,
    private readonly intervalMs = 500,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false
    // The tick looks before it locks: most ticks find nothing, and cost one indexed read.
    this.timer = setInterval(() => {
      if (this.running) return
      this.store.hasChanges().then((any) => any && this.nudge(), this.onError)
    }, this.intervalMs)
    this.timer.unref()
    this.nudge()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.running
  }

  /** Sequence what is committed now (coalesced: a nudge during a pass makes one more pass). */
  nudge(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.loop().finally(() => {
      this.running = undefined
    })
  }

  /** Sequence every committed change now, and wait for it (tests, shutdown). */
  async flush(): Promise<void> {
    await this.running
    while ((await this.pass()) === SEQUENCE_BATCH) {}
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false
        while ((await this.pass()) === SEQUENCE_BATCH && !this.stopped) {}
      } while (this.again && !this.stopped)
    } catch (err) {
      // The changes stay in seat_changes: the next nudge or tick takes them.
      this.onError(err)
    }
  }

  /** One batch: its events committed, then published; the number of changes it moved. */
  private async pass(): Promise<number> {
    const events = await this.db.tx(async (tx) => this.store.sequenceChanges(tx, SEQUENCE_BATCH))
    if (events.length === 0) return 0
    this.batches++
    this.sequenced += events.length
    await this.publish(events)
    return events.length
  }
}
