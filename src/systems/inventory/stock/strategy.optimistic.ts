/**
 * Optimistic stock claim: read the levels without a lock, allocate, then in a short transaction
 * add the allocation to `reserved` only where `version` is still the one read. A level changed
 * in between matches no row: roll back, pause a little, read again (at most `retries` times, then
 * 409 INVENTORY_CONTENDED). Under a hot SKU every buyer but one per round loses and retries:
 * the price of never waiting on a lock during the read.
 */
import type { Db } from '../../../platform/db/port.js'
import { applyReserve, LEVELS_SQL, levelOf } from './levels.js'
import type { StockClaim, StockFinish, StockReservation, StockStrategy } from './ports.js'

class LostRace extends Error {}
const RETRYABLE = new Set(['40P01', '40001'])

export class OptimisticStockStrategy implements StockStrategy {
  readonly name = 'optimistic'
  constructor(
    private readonly db: Db,
    private readonly retries: number,
    private readonly onContended: (attempts: number) => Error,
  ) {}

  async claim<T>(req: StockClaim, finish: StockFinish<T>): Promise<StockReservation<T>> {
    for (let attempt = 1; ; attempt++) {
      const { rows } = await this.db.query(LEVELS_SQL, [req.skus])
      const levels = rows.map(levelOf)
      const a = req.allocate(levels)
      if (!a.ok) return { ok: false, short: a.short, attempts: attempt }
      try {
        const value = await this.db.tx(async (tx) => {
          const changes = await applyReserve(tx, a.lines, levels)
          if (!changes) throw new LostRace()
          return finish(tx, a.lines, changes)
        })
        return { ok: true, value, attempts: attempt }
      } catch (err) {
        const code = (err as { code?: string }).code
        if (!(err instanceof LostRace) && !(code && RETRYABLE.has(code))) throw err
        if (attempt > this.retries) throw this.onContended(attempt)
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)))
      }
    }
  }
}
