/**
 * The projector: reads the log in commit order from its checkpoint, applies each event to the
 * views, and moves the checkpoint in the same transaction, so a projector killed at any point
 * resumes exactly after the last event it applied: none skipped, none applied twice. The
 * checkpoint row is locked for the batch: projectors on several processes take turns, never
 * apply the same event twice.
 */
import type { Db } from '../../../platform/db/port.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { readLog } from '../events/store.js'
import type { BoardEvent } from '../events/types.js'
import { applyEvent, type ViewTables } from './views.js'

export interface ProjectorOptions {
  /** The checkpoint's name (`views`, or a rebuild's). */
  name: string
  tables: ViewTables
  batch: number
  pollMs: number
}

/** Milliseconds from an event's commit to its projection, for the lag histogram. */
export type LagObserver = (ms: number) => void

export class Projector {
  private running = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined
  private pending = false
  private readonly waiters = new Set<() => void>()
  /** Events applied by this process (metrics). */
  applied = 0
  failures = 0
  observeLag: LagObserver = () => {}

  constructor(
    private readonly db: Db,
    private readonly o: ProjectorOptions,
    private readonly log: Logger,
  ) {}

  /** Apply one batch after the checkpoint; returns the events applied (0: caught up). */
  async step(): Promise<BoardEvent[]> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ tx: string; position: string }>(
        'SELECT tx::text AS tx, position FROM checkpoints WHERE name = $1 FOR UPDATE',
        [this.o.name],
      )
      const cp = rows[0]
      if (!cp) throw new Error(`no checkpoint ${this.o.name}`)
      const events = await readLog(tx, { tx: cp.tx, position: Number(cp.position) }, this.o.batch)
      if (events.length === 0) return []
      for (const e of events) await applyEvent(tx, this.o.tables, e)
      const last = events.at(-1)!
      await tx.query(
        `UPDATE checkpoints SET tx = $2::xid8, position = $3, events = events + $4, updated_at = now() WHERE name = $1`,
        [this.o.name, last.tx, last.position, events.length],
      )
      return events
    })
  }

  /** Apply batches until the log has nothing more for now; returns how many events. */
  async catchUp(): Promise<number> {
    let total = 0
    for (;;) {
      const events = await this.step()
      if (events.length === 0) break
      total += events.length
      this.applied += events.length
      const now = Date.now()
      for (const e of events) this.observeLag(now - Date.parse(e.at))
      for (const w of this.waiters) w()
    }
    return total
  }

  /** Something was appended: run a catch-up now instead of at the next poll. */
  wake(): void {
    this.pending = true
    this.wakeUp?.()
  }

  /** Resolves on the next applied batch or after `ms`, whichever first (for read-your-writes). */
  applyOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
    })
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      while (this.running) {
        this.pending = false
        try {
          await this.catchUp()
        } catch (err) {
          this.failures++
          this.log.error({ err, projector: this.o.name }, 'board projector failed; retrying')
        }
        if (!this.running || this.pending) continue
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.o.pollMs)
          this.wakeUp = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.wakeUp = undefined
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    this.wakeUp?.()
    await this.loop
  }
}
