/** The level rows' SQL both stock strategies share: the read, and `reserved += allocation`. */
import type { Queryable } from '../../../platform/db/port.js'
import type { Level, LevelChange, Line } from './ports.js'

/** Every level of the SKUs `$1`, in lock order (the pessimistic strategy appends FOR UPDATE). */
export const LEVELS_SQL = `SELECT sku, location_id, on_hand, reserved, version FROM stock_levels
   WHERE sku = ANY($1::text[]) ORDER BY sku, location_id`

export const levelOf = (r: Record<string, unknown>): Level => ({
  sku: r.sku as string,
  location: r.location_id as string,
  onHand: r.on_hand as number,
  reserved: r.reserved as number,
  version: r.version as number,
})

/**
 * Add the lines to `reserved`, one statement for every level they touch. With `read` (the
 * optimistic strategy), only where the version is still the one read: undefined when some level
 * changed since (the caller rolls back and retries).
 */
export async function applyReserve(
  tx: Queryable,
  lines: Line[],
  read?: Level[],
): Promise<LevelChange[] | undefined> {
  const byLevel = new Map<string, { sku: string; location: string; quantity: number }>()
  for (const l of lines) {
    const k = `${l.sku}\u0000${l.location}`
    const v = byLevel.get(k) ?? { sku: l.sku, location: l.location, quantity: 0 }
    v.quantity += l.quantity
    byLevel.set(k, v)
  }
  const levels = [...byLevel.values()].sort((a, b) =>
    a.sku === b.sku ? (a.location < b.location ? -1 : 1) : a.sku < b.sku ? -1 : 1,
  )
  const versions =
    read && levels.map((l) => read.find((r) => r.sku === l.sku && r.location === l.location)!.version)
  const { rows, rowCount } = await tx.query<{
    sku: string
    location_id: string
    on_hand: number
    reserved: number
  }>(
    `UPDATE stock_levels s SET reserved = s.reserved + v.quantity, version = s.version + 1
       FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS v(sku, location_id, quantity, version)
      WHERE s.sku = v.sku AND s.location_id = v.location_id AND ($4::int[] IS NULL OR s.version = v.version)
      RETURNING s.sku, s.location_id, s.on_hand, s.reserved`,
    [
      levels.map((l) => l.sku),
      levels.map((l) => l.location),
      levels.map((l) => l.quantity),
      versions ?? null,
    ],
  )
  if (rowCount !== levels.length) return undefined
  return rows.map((r) => ({
    sku: r.sku,
    location: r.location_id,
    onHand: r.on_hand,
    reserved: r.reserved,
    availableDelta: -byLevel.get(`${r.sku}\u0000${r.location_id}`)!.quantity,
  }))
}
