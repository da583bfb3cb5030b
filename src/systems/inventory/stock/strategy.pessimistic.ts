/**
 * Pessimistic stock claim: in one transaction, lock the level rows of every SKU the reservation
 * needs (all their locations) with `SELECT ... FOR UPDATE` in (sku, location) order, allocate on
 * what they say, add the allocation to `reserved`. Two reservations sharing a SKU (a kit and a
 * product sharing its component) queue on the first row they share: exactly one sees the units,
 * never a retry, never a deadlock (one order for everybody).
 */
import type { Db } from '../../../platform/db/port.js'
import { applyReserve, LEVELS_SQL, levelOf } from './levels.js'
import type { StockClaim, StockFinish, StockReservation, StockStrategy } from './ports.js'

export class PessimisticStockStrategy implements StockStrategy {
  readonly name = 'pessimistic'
  constructor(private readonly db: Db) {}

  async claim<T>(req: StockClaim, finish: StockFinish<T>): Promise<StockReservation<T>> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query(`${LEVELS_SQL} FOR UPDATE`, [req.skus])
      const a = req.allocate(rows.map(levelOf))
      if (!a.ok) return { ok: false as const, short: a.short, attempts: 1 }
      const changes = await applyReserve(tx, a.lines)
      return { ok: true as const, value: await finish(tx, a.lines, changes!), attempts: 1 }
    })
  }
}
