/** The stock side's vocabulary and the strategy interface (the same two strategies as seats). */
import type { Queryable } from '../../../platform/db/port.js'

export type Policy = 'deny' | 'backorder' | 'preorder'
export type ReservationState = 'active' | 'confirmed' | 'cancelled' | 'expired'

/** A SKU as reservations need it. */
export interface SkuInfo {
  sku: string
  policy: Policy
  /** Units a backorder / preorder SKU may promise beyond on hand (null: no limit). */
  oversellLimit: number | null
  releasesAt: Date | null
  lowStockThreshold: number
  price: number
  /** A kit's components (empty for a stock SKU). */
  components: { sku: string; quantity: number }[]
}

/** One stock level row as a strategy read it. */
export interface Level {
  sku: string
  location: string
  onHand: number
  reserved: number
  version: number
}

/** A unit of a reservation: `quantity` of stock SKU `sku` at `location`, for the item `forSku`. */
export interface Line {
  sku: string
  location: string
  quantity: number
  forSku: string
  backordered: number
}

export type Allocation = { ok: true; lines: Line[] } | { ok: false; short: string[] }

/** What a strategy is asked to claim: the levels of `skus` (sorted), allocated by `allocate`. */
export interface StockClaim {
  skus: string[]
  /** Pure: decide the lines from the levels read (all locations of every SKU, in lock order). */
  allocate: (levels: Level[]) => Allocation
}

/** Level after a claim's change, for low-stock events. */
export interface LevelChange {
  sku: string
  location: string
  onHand: number
  reserved: number
  /** Change of what can be promised (on hand - reserved) by this claim. */
  availableDelta: number
}

export type StockFinish<T> = (tx: Queryable, lines: Line[], changes: LevelChange[]) => Promise<T>

export type StockReservation<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; short: string[]; attempts: number }

/**
 * How a reservation claims stock (README, Strategies): pessimistic (level rows `FOR UPDATE` in
 * (sku, location) order) or optimistic (read, then update with a version check, retry).
 * Both apply the allocation as `reserved += quantity` and run `finish` in the same transaction.
 */
export interface StockStrategy {
  readonly name: string
  claim<T>(req: StockClaim, finish: StockFinish<T>): Promise<StockReservation<T>>
}
