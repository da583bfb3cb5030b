/**
 * The simulated warehouse the checkout saga reserves stock from and ships with: idempotent by
 * checkout id (a reservation or a shipment per checkout at most), so a step run again after a
 * crash changes nothing. SKU `unshippable` can be reserved but never shipped (the fulfilment
 * failure the saga compensates).
 */
import type { Db } from '../../../platform/db/port.js'

export type WarehouseAnswer = { ok: true } | { ok: false; reason: string }

export const UNSHIPPABLE_SKU = 'unshippable'

export class Warehouse {
  constructor(private readonly db: Db) {}

  /** Set a SKU's stock (tests, the console). */
  async stock(sku: string, available: number): Promise<void> {
    await this.db.query(
      `INSERT INTO sim_stock (sku, available) VALUES ($1, $2)
       ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available`,
      [sku, available],
    )
  }

  async available(sku: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ available: number }>(
      'SELECT available FROM sim_stock WHERE sku = $1',
      [sku],
    )
    return rows[0]?.available
  }

  /** Hold `quantity` of `sku` for checkout `id` (once). */
  reserve(id: string, sku: string, quantity: number): Promise<WarehouseAnswer> {
    return this.db.tx(async (tx) => {
      const held = await tx.query<{ state: string }>(
        'SELECT state FROM sim_reservations WHERE saga_id = $1',
        [id],
      )
      if (held.rows[0])
        return held.rows[0].state === 'held' ? { ok: true } : { ok: false, reason: 'released' }
      const took = await tx.query(
        'UPDATE sim_stock SET available = available - $2 WHERE sku = $1 AND available >= $2',
        [sku, quantity],
      )
      if (took.rowCount === 0) return { ok: false, reason: 'out_of_stock' }
      await tx.query(
        `INSERT INTO sim_reservations (saga_id, sku, quantity, state) VALUES ($1, $2, $3, 'held')`,
        [id, sku, quantity],
      )
      return { ok: true }
    })
  }

  /** Give checkout `id`'s reservation back (once; nothing held: nothing to do). */
  release(id: string): Promise<WarehouseAnswer> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ sku: string; quantity: number }>(
        `UPDATE sim_reservations SET state = 'released' WHERE saga_id = $1 AND state = 'held' RETURNING sku, quantity`,
        [id],
      )
      if (rows[0])
        await tx.query('UPDATE sim_stock SET available = available + $2 WHERE sku = $1', [
          rows[0].sku,
          rows[0].quantity,
        ])
      return { ok: true }
    })
  }

  /** Ship checkout `id`'s reservation (once). */
  async ship(id: string, sku: string): Promise<WarehouseAnswer> {
    if (sku === UNSHIPPABLE_SKU) return { ok: false, reason: 'cannot_ship' }
    await this.db.query(
      'INSERT INTO sim_shipments (saga_id, sku) VALUES ($1, $2) ON CONFLICT (saga_id) DO NOTHING',
      [id, sku],
    )
    return { ok: true }
  }
}
