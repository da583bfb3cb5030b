/**
 * The naive stock claim, for tests only: read the levels, decide, then write `reserved` as the
 * value read plus the allocation, with no lock and no version check. Two buyers who both read
 * before either writes both see the units free, and the second write overwrites the first: the
 * level says fewer units are reserved than were promised, and more units are promised than exist.
 */
import type { Db } from '../../../platform/db/port.js'
import { LEVELS_SQL, levelOf } from '../stock/levels.js'
import type { StockClaim, StockFinish, StockReservation, StockStrategy } from '../stock/ports.js'

export class NaiveStockStrategy implements StockStrategy {
  readonly name = 'naive'
  constructor(private readonly db: Db) {}

  async claim<T>(req: StockClaim, finish: StockFinish<T>): Promise<StockReservation<T>> {
    const { rows } = await this.db.query(LEVELS_SQL, [req.skus])
    const levels = rows.map(levelOf)
    const a = req.allocate(levels)
    if (!a.ok) return { ok: false, short: a.short, attempts: 1 }
    // Let the other buyers read the same levels before this one writes (the race, made likely).
    await new Promise((r) => setTimeout(r, 5))
    const value = await this.db.tx(async (tx) => {
      for (const l of a.lines) {
        const read = levels.find((v) => v.sku === l.sku && v.location === l.location)!
        await tx.query('UPDATE stock_levels SET reserved = $3 WHERE sku = $1 AND location_id = $2', [
          l.sku,
          l.location,
          read.reserved + l.quantity,
        ])
      }
      return finish(tx, a.lines, [])
    })
    return { ok: true, value, attempts: 1 }
  }
}
