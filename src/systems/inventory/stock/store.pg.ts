/**
 * The stock side's SQL (apart from the strategies' claim, levels.ts): the catalogue, locations,
 * receipts, reservations, orders and the movement log. Every change of a level writes its
 * movement in the same transaction. Lock order everywhere: a reservation's or order's row first,
 * then level rows in (sku, location) order.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { Line, Policy, ReservationState, SkuInfo } from './ports.js'

export interface NewSku {
  sku: string
  name: string
  policy: Policy
  oversellLimit: number | null
  releasesAt: Date | null
  lowStockThreshold: number
  price: number
  components: { sku: string; quantity: number }[]
}

export interface ReservationRow {
  id: string
  state: ReservationState
  expiresAt: Date
  orderId: string | null
  lapsed: boolean
  lines: (Line & { line: number; returned: number })[]
}

export interface Movement {
  sku: string
  location: string
  kind: string
  onHandDelta: number
  reservedDelta: number
  reservationId?: string | null
  orderId?: string | null
  note?: string | null
}

export class StockStore {
  constructor(readonly db: Db) {}

  /** A product and its SKUs, with a level at every location for each stock SKU; the product's id. */
  async createProduct(name: string, skus: NewSku[]): Promise<string> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        'INSERT INTO products (name) VALUES ($1) RETURNING id::text AS id',
        [name],
      )
      const id = rows[0]!.id
      for (const s of skus) {
        await tx.query(
          `INSERT INTO skus (sku, product_id, name, policy, oversell_limit, releases_at, low_stock_threshold, price, is_kit)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            s.sku,
            id,
            s.name,
            s.policy,
            s.oversellLimit,
            s.releasesAt,
            s.lowStockThreshold,
            s.price,
            s.components.length > 0,
          ],
        )
        for (const c of s.components)
          await tx.query(
            'INSERT INTO kit_components (kit_sku, component_sku, quantity) VALUES ($1, $2, $3)',
            [s.sku, c.sku, c.quantity],
          )
        if (s.components.length === 0)
          await tx.query('INSERT INTO stock_levels (sku, location_id) SELECT $1, id FROM locations', [s.sku])
      }
      return id
    })
  }

  /** A location, with a level for every stock SKU; false when the id is taken. */
  async createLocation(id: string, name: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const { rowCount } = await tx.query(
        'INSERT INTO locations (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING',
        [id, name],
      )
      if (rowCount === 0) return false
      await tx.query(
        'INSERT INTO stock_levels (sku, location_id) SELECT sku, $1 FROM skus WHERE NOT is_kit',
        [id],
      )
      return true
    })
  }

  /** Which of `skus` exist already. */
  async existingSkus(skus: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ sku: string }>(
      'SELECT sku FROM skus WHERE sku = ANY($1::text[])',
      [skus],
    )
    return rows.map((r) => r.sku)
  }

  /** Which of `ids` are locations. */
  async existingLocations(ids: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      'SELECT id FROM locations WHERE id = ANY($1::text[])',
      [ids],
    )
    return rows.map((r) => r.id)
  }

  /** The SKUs of `skus` that exist, with their policies and a kit's components. */
  async skuInfo(skus: string[]): Promise<Map<string, SkuInfo>> {
    const { rows } = await this.db.query<{
      sku: string
      policy: Policy
      oversell_limit: number | null
      releases_at: Date | null
      low_stock_threshold: number
      price: number
      components: { sku: string; quantity: number }[] | null
    }>(
      `SELECT s.sku, s.policy, s.oversell_limit, s.releases_at, s.low_stock_threshold, s.price::float8 AS price,
              (SELECT json_agg(json_build_object('sku', c.component_sku, 'quantity', c.quantity) ORDER BY c.component_sku)
                 FROM kit_components c WHERE c.kit_sku = s.sku) AS components
         FROM skus s WHERE s.sku = ANY($1::text[])`,
      [skus],
    )
    return new Map(
      rows.map((r) => [
        r.sku,
        {
          sku: r.sku,
          policy: r.policy,
          oversellLimit: r.oversell_limit,
          releasesAt: r.releases_at,
          lowStockThreshold: r.low_stock_threshold,
          price: r.price,
          components: r.components ?? [],
        },
      ]),
    )
  }

  /** Change a level's on hand by `delta` (receipt or adjustment) and log it; the level after, or undefined. */
  async changeOnHand(tx: Queryable, m: Movement): Promise<{ onHand: number; reserved: number } | undefined> {
    const { rows } = await tx.query<{ on_hand: number; reserved: number }>(
      `UPDATE stock_levels SET on_hand = on_hand + $3, version = version + 1
        WHERE sku = $1 AND location_id = $2 RETURNING on_hand, reserved`,
      [m.sku, m.location, m.onHandDelta],
    )
    if (rows.length === 0) return undefined
    await this.log(tx, [m])
    return { onHand: rows[0]!.on_hand, reserved: rows[0]!.reserved }
  }

  /** Append movements (one statement). */
  async log(tx: Queryable, ms: Movement[]): Promise<void> {
    if (ms.length === 0) return
    await tx.query(
      `INSERT INTO stock_movements (sku, location_id, kind, on_hand_delta, reserved_delta, reservation_id, order_id, note)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[])`,
      [
        ms.map((m) => m.sku),
        ms.map((m) => m.location),
        ms.map((m) => m.kind),
        ms.map((m) => m.onHandDelta),
        ms.map((m) => m.reservedDelta),
        ms.map((m) => m.reservationId ?? null),
        ms.map((m) => m.orderId ?? null),
        ms.map((m) => m.note ?? null),
      ],
    )
  }

  /** A reservation and its lines; its expiry, `ttlSeconds` from now on the database's clock. */
  async insertReservation(
    tx: Queryable,
    id: string,
    ttlSeconds: number,
    amount: number,
    lines: Line[],
  ): Promise<Date> {
    const { rows } = await tx.query<{ expires_at: Date }>(
      `WITH r AS (
         INSERT INTO reservations (id, expires_at, amount) VALUES ($1, now() + make_interval(secs => $2), $3)
         RETURNING expires_at),
       l AS (
         INSERT INTO reservation_lines (reservation_id, line, sku, location_id, quantity, for_sku, backordered)
         SELECT $1, * FROM unnest($4::int[], $5::text[], $6::text[], $7::int[], $8::text[], $9::int[]))
       SELECT expires_at FROM r`,
      [
        id,
        ttlSeconds,
        amount,
        lines.map((_, i) => i + 1),
        lines.map((l) => l.sku),
        lines.map((l) => l.location),
        lines.map((l) => l.quantity),
        lines.map((l) => l.forSku),
        lines.map((l) => l.backordered),
      ],
    )
    return rows[0]!.expires_at
  }

  /** A reservation with its lines; with `tx`, its row locked for the rest of it. */
  async reservation(q: Queryable, id: string, lock = false): Promise<ReservationRow | undefined> {
    const { rows } = await q.query<{
      id: string
      state: ReservationState
      expires_at: Date
      order_id: string | null
      lapsed: boolean
    }>(
      `SELECT id, state, expires_at, order_id, expires_at <= now() AS lapsed FROM reservations WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    )
    const r = rows[0]
    if (!r) return undefined
    const lines = await q.query<{
      line: number
      sku: string
      location_id: string
      quantity: number
      for_sku: string
      backordered: number
      returned: number
    }>(
      'SELECT line, sku, location_id, quantity, for_sku, backordered, returned FROM reservation_lines WHERE reservation_id = $1 ORDER BY line',
      [id],
    )
    return {
      id: r.id,
      state: r.state,
      expiresAt: r.expires_at,
      orderId: r.order_id,
      lapsed: r.lapsed,
      lines: lines.rows.map((l) => ({
        line: l.line,
        sku: l.sku,
        location: l.location_id,
        quantity: l.quantity,
        forSku: l.for_sku,
        backordered: l.backordered,
        returned: l.returned,
      })),
    }
  }

  /**
   * Change the levels of a reservation's lines: `reserved += reservedSign * q`, `on_hand +=
   * onHandSign * q`, level rows locked in (sku, location) order by the UPDATE's sorted input.
   */
  async moveLines(
    tx: Queryable,
    lines: { sku: string; location: string; quantity: number }[],
    onHandSign: number,
    reservedSign: number,
  ) {
    const sorted = [...lines].sort((a, b) =>
      a.sku === b.sku ? (a.location < b.location ? -1 : 1) : a.sku < b.sku ? -1 : 1,
    )
    // Lock first, in order: an UPDATE ... FROM unnest may visit rows in any order.
    await tx.query(
      `SELECT 1 FROM stock_levels s JOIN unnest($1::text[], $2::text[]) AS v(sku, location_id)
          ON s.sku = v.sku AND s.location_id = v.location_id ORDER BY s.sku, s.location_id FOR UPDATE OF s`,
      [sorted.map((l) => l.sku), sorted.map((l) => l.location)],
    )
    for (const l of sorted)
      await tx.query(
        `UPDATE stock_levels SET on_hand = on_hand + $3, reserved = reserved + $4, version = version + 1
          WHERE sku = $1 AND location_id = $2`,
        [l.sku, l.location, onHandSign * l.quantity, reservedSign * l.quantity],
      )
  }

  async endReservation(tx: Queryable, id: string, state: ReservationState, orderId: string | null = null) {
    await tx.query('UPDATE reservations SET state = $2, order_id = $3, ended_at = now() WHERE id = $1', [
      id,
      state,
      orderId,
    ])
  }

  /** The order of a reservation, at the reservation's amount; the amount. */
  async insertOrder(tx: Queryable, id: string, reservationId: string): Promise<number> {
    const { rows } = await tx.query<{ amount: number }>(
      `INSERT INTO stock_orders (id, reservation_id, amount) SELECT $1, id, amount FROM reservations WHERE id = $2
       RETURNING amount::float8 AS amount`,
      [id, reservationId],
    )
    return rows[0]!.amount
  }

  /** An order's row locked, with its reservation's id and state. */
  async lockOrder(tx: Queryable, id: string) {
    const { rows } = await tx.query<{
      reservation_id: string
      state: 'placed' | 'cancelled'
      amount: number
    }>('SELECT reservation_id, state, amount::float8 AS amount FROM stock_orders WHERE id = $1 FOR UPDATE', [
      id,
    ])
    return rows[0]
  }

  async cancelOrder(tx: Queryable, id: string) {
    await tx.query("UPDATE stock_orders SET state = 'cancelled', cancelled_at = now() WHERE id = $1", [id])
  }

  async markReturned(tx: Queryable, reservationId: string, line: number, quantity: number) {
    await tx.query(
      'UPDATE reservation_lines SET returned = returned + $3 WHERE reservation_id = $1 AND line = $2',
      [reservationId, line, quantity],
    )
  }

  /** Active reservations past their expiry holding any of `skus` (their expiry job is late). */
  async lapsedHolding(skus: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT DISTINCT r.id FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id
        WHERE r.state = 'active' AND r.expires_at <= now() AND l.sku = ANY($1::text[]) LIMIT 100`,
      [skus],
    )
    return rows.map((r) => r.id)
  }

  /** A SKU's levels per location. */
  async levels(sku: string) {
    const { rows } = await this.db.query<{ location_id: string; on_hand: number; reserved: number }>(
      'SELECT location_id, on_hand, reserved FROM stock_levels WHERE sku = $1 ORDER BY location_id',
      [sku],
    )
    return rows.map((r) => ({
      location: r.location_id,
      onHand: r.on_hand,
      reserved: r.reserved,
      available: r.on_hand - r.reserved,
    }))
  }

  /** A SKU's movements, oldest first, after id `after`. */
  async movements(sku: string, after: number, limit: number) {
    const { rows } = await this.db.query(
      `SELECT id::float8 AS id, location_id AS location, kind, on_hand_delta AS "onHandDelta",
              reserved_delta AS "reservedDelta", reservation_id AS "reservationId", order_id AS "orderId", note, at
         FROM stock_movements WHERE sku = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [sku, after, limit],
    )
    return rows
  }

  /**
   * The levels rebuilt from the movement log, beside the stored ones: every level whose sums
   * differ (empty when the log and the levels agree). One consistent snapshot (one statement).
   */
  async audit(): Promise<
    {
      sku: string
      location: string
      onHand: number
      reserved: number
      rebuiltOnHand: number
      rebuiltReserved: number
    }[]
  > {
    const { rows } = await this.db.query<{
      sku: string
      location: string
      on_hand: number
      reserved: number
      r_on_hand: number
      r_reserved: number
    }>(
      `SELECT l.sku, l.location_id AS location, l.on_hand, l.reserved,
              coalesce(m.on_hand, 0)::int AS r_on_hand, coalesce(m.reserved, 0)::int AS r_reserved
         FROM stock_levels l
         LEFT JOIN (SELECT sku, location_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                      FROM stock_movements GROUP BY sku, location_id) m
           ON m.sku = l.sku AND m.location_id = l.location_id
        WHERE l.on_hand <> coalesce(m.on_hand, 0) OR l.reserved <> coalesce(m.reserved, 0)
        ORDER BY l.sku, l.location_id`,
    )
    return rows.map((r) => ({
      sku: r.sku,
      location: r.location,
      onHand: r.on_hand,
      reserved: r.reserved,
      rebuiltOnHand: r.r_on_hand,
      rebuiltReserved: r.r_reserved,
    }))
  }
}
