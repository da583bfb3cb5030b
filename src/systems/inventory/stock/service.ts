/**
 * The stock side's domain: the catalogue (products, SKUs, kits), locations, receipts and
 * adjustments, reservations (all or nothing, with a TTL, expiring by a keyed job), their
 * confirmation into an order exactly once, cancellation and returns, and low-stock events. The
 * claim itself is the strategy's (ports.ts); this file decides what is claimed and what commits
 * with it. Every change of a level logs its movement in the same transaction.
 */
import { randomBytes } from 'node:crypto'
import type { Outbox } from '../../../platform/bus/outbox.js'
import type { Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import { allocate, expand, type Item } from './allocate.js'
import { type SkuInput, toNewSkus } from './catalog.js'
import { StockErrors } from './errors.js'
import type { LevelChange, Line, ReservationState, SkuInfo, StockStrategy } from './ports.js'
import { linesToReturn } from './returns.js'
import type { Movement, StockStore } from './store.pg.js'

export const RESERVATIONS_QUEUE = 'inventory.reservations'
export const EXPIRE_RESERVATION_TASK = 'inventory.expire-reservation'
export const LOW_STOCK_SUBJECT = 'inventory.stock.low'

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`
export const reservationKey = (id: string) => `reservation:${id}`

export interface StockServiceOptions {
  store: StockStore
  strategy: StockStrategy
  jobs: SystemJobs
  /** Low-stock events leave through the outbox, with the change that caused them. */
  outbox: Outbox | undefined
  reservationTtlSeconds: number
  onReserve?: (outcome: string, attempts: number) => void
}

export interface ReservationView {
  id: string
  state: ReservationState
  expiresAt: string
  orderId: string | null
  lines: (Line & { returned?: number })[]
}

export class StockService {
  constructor(private readonly o: StockServiceOptions) {}

  get strategyName(): string {
    return this.o.strategy.name
  }

  /** A product with its SKUs (kits name their components: SKUs that exist or come in the same call). */
  async createProduct(name: string, variants: SkuInput[]): Promise<{ id: string; skus: string[] }> {
    const names = variants.map((v) => v.sku)
    const dup = names.find((s, i) => names.indexOf(s) !== i)
    if (dup !== undefined) throw StockErrors.invalid('variants', `names SKU ${dup} twice`)
    const taken = await this.o.store.existingSkus(names)
    if (taken.length > 0) throw StockErrors.skuExists(taken)
    const componentSkus = [...new Set(variants.flatMap((v) => (v.components ?? []).map((c) => c.sku)))]
    const known = await this.o.store.skuInfo(componentSkus)
    const unknown = componentSkus.filter((c) => !known.has(c) && !names.includes(c))
    if (unknown.length > 0) throw StockErrors.unknownSkus(unknown)
    const skus = toNewSkus(variants, known)
    // Stock SKUs first: a kit's components must exist when its rows are inserted.
    skus.sort((a, b) => a.components.length - b.components.length)
    return { id: await this.o.store.createProduct(name, skus), skus: names }
  }

  async createLocation(id: string, name: string): Promise<void> {
    if (!(await this.o.store.createLocation(id, name))) throw StockErrors.locationExists(id)
  }

  /** Units arrive (quantity > 0) or a count corrects on hand (adjust, either sign): the level after. */
  async changeOnHand(
    kind: 'receive' | 'adjust',
    sku: string,
    location: string,
    delta: number,
    note?: string,
  ) {
    const info = await this.o.store.skuInfo([sku])
    if (!info.has(sku)) throw StockErrors.unknownSkus([sku])
    if (info.get(sku)!.components.length > 0)
      throw StockErrors.invalid('sku', `${sku} is a kit: stock its components`)
    if ((await this.o.store.existingLocations([location])).length === 0)
      throw StockErrors.unknownLocations([location])
    return this.o.store.db.tx(async (tx) => {
      const after = await this.o.store.changeOnHand(tx, {
        sku,
        location,
        kind,
        onHandDelta: delta,
        reservedDelta: 0,
        note: note ?? null,
      })
      // A count may correct downwards, but not below zero (nor below what backorders already owe).
      if (!after || (delta < 0 && after.onHand < Math.min(0, after.onHand - delta)))
        throw StockErrors.negativeStock(sku, location)
      await this.lowStock(tx, info, [{ sku, location, ...after, availableDelta: delta }])
      return {
        sku,
        location,
        onHand: after.onHand,
        reserved: after.reserved,
        available: after.onHand - after.reserved,
      }
    })
  }

  /**
   * Reserve items, all or nothing, for `ttlSeconds`. A shortage caused by reservations whose time
   * is up but whose expiry job has not run yet is not a shortage: those are expired first, and
   * the claim tried once more (expiry exact to the second, whatever the jobs' lag).
   */
  async reserve(items: Item[], ttlSeconds = this.o.reservationTtlSeconds): Promise<ReservationView> {
    if (ttlSeconds > this.o.reservationTtlSeconds)
      throw StockErrors.invalid('ttlSeconds', `must be at most ${this.o.reservationTtlSeconds}`)
    items.forEach((it, i) => {
      if (!Number.isSafeInteger(it.quantity) || it.quantity < 1)
        throw StockErrors.invalid(`items/${i}/quantity`, 'must be a whole number of units, at least 1')
    })
    const asked = [...new Set(items.map((i) => i.sku))]
    const info = await this.o.store.skuInfo(asked)
    const unknown = asked.filter((s) => !info.has(s))
    if (unknown.length > 0) throw StockErrors.unknownSkus(unknown)
    const components = [...new Set([...info.values()].flatMap((i) => i.components.map((c) => c.sku)))]
    for (const [k, v] of await this.o.store.skuInfo(components.filter((c) => !info.has(c)))) info.set(k, v)
    const places = [...new Set(items.flatMap((i) => (i.location === undefined ? [] : [i.location])))]
    const found = await this.o.store.existingLocations(places)
    const missing = places.filter((p) => !found.includes(p))
    if (missing.length > 0) throw StockErrors.unknownLocations(missing)

    const lines = expand(items, info)
    const skus = [...new Set(lines.map((l) => l.sku))].sort()
    const amount = items.reduce((sum, it) => sum + info.get(it.sku)!.price * it.quantity, 0)
    const id = newId('r')
    const claim = () =>
      this.o.strategy.claim(
        { skus, allocate: (levels) => allocate(lines, levels, info, new Date()) },
        (tx, taken, changes) => this.finishReserve(tx, id, ttlSeconds, amount, taken, changes, info),
      )
    let r = await claim()
    if (!r.ok) {
      const lapsed = await this.o.store.lapsedHolding(r.short)
      for (const l of lapsed) await this.end(l, 'expired', true)
      if (lapsed.length > 0) r = await claim()
    }
    if (!r.ok) {
      this.o.onReserve?.('short', r.attempts)
      throw StockErrors.insufficient(r.short)
    }
    this.o.onReserve?.('reserved', r.attempts)
    return {
      id,
      state: 'active',
      expiresAt: r.value.expiresAt.toISOString(),
      orderId: null,
      lines: r.value.lines,
    }
  }

  /** In the claim's transaction: the reservation, its movements, its expiry job, low-stock events. */
  private async finishReserve(
    tx: Queryable,
    id: string,
    ttlSeconds: number,
    amount: number,
    lines: Line[],
    changes: LevelChange[],
    info: Map<string, SkuInfo>,
  ) {
    const expiresAt = await this.o.store.insertReservation(tx, id, ttlSeconds, amount, lines)
    await this.o.store.log(
      tx,
      lines.map((l) => ({
        sku: l.sku,
        location: l.location,
        kind: 'reserve',
        onHandDelta: 0,
        reservedDelta: l.quantity,
        reservationId: id,
      })),
    )
    await this.scheduleExpiry(tx, id, expiresAt)
    await this.lowStock(tx, info, changes)
    return { expiresAt, lines }
  }

  /** The reservation's expiry job, keyed by it (enqueued again when it ran early). */
  private scheduleExpiry(tx: Queryable, id: string, runAt: Date) {
    return this.o.jobs.addJob(tx, RESERVATIONS_QUEUE, {
      task: EXPIRE_RESERVATION_TASK,
      payload: { reservation: id },
      runAt,
      key: reservationKey(id),
    })
  }

  /** An event for each level that went from above its SKU's threshold to at or below it. */
  private async lowStock(tx: Queryable, info: Map<string, SkuInfo>, changes: LevelChange[]) {
    if (!this.o.outbox) return
    for (const c of changes) {
      const threshold = info.get(c.sku)?.lowStockThreshold ?? 0
      const after = c.onHand - c.reserved
      const before = after - c.availableDelta
      if (threshold > 0 && before > threshold && after <= threshold)
        await this.o.outbox.add(tx, LOW_STOCK_SUBJECT, {
          sku: c.sku,
          location: c.location,
          available: after,
          onHand: c.onHand,
          reserved: c.reserved,
          threshold,
        })
    }
  }

  async getReservation(id: string): Promise<ReservationView> {
    const r = await this.o.store.reservation(this.o.store.db, id)
    if (!r) throw StockErrors.reservationNotFound(id)
    return {
      id: r.id,
      state: r.state === 'active' && r.lapsed ? 'expired' : r.state,
      expiresAt: r.expiresAt.toISOString(),
      orderId: r.orderId,
      lines: r.lines.map(({ line: _, ...l }) => l),
    }
  }

  /** Turn a reservation into an order, exactly once; refused once its time is up, job or no job. */
  async confirm(id: string): Promise<{ orderId: string; amount: number }> {
    return this.o.store.db.tx(async (tx) => {
      const r = await this.o.store.reservation(tx, id, true)
      if (!r) throw StockErrors.reservationNotFound(id)
      if (r.state === 'confirmed') throw StockErrors.reservationConfirmed(id, r.orderId)
      if (r.state === 'cancelled') throw StockErrors.reservationCancelled(id)
      if (r.state === 'expired' || r.lapsed) throw StockErrors.reservationExpired(id)
      const orderId = newId('so')
      // The units leave: off on hand, and no longer reserved.
      await this.o.store.moveLines(tx, r.lines, -1, -1)
      await this.o.store.log(
        tx,
        r.lines.map((l) => this.movement(l, 'sell', -l.quantity, -l.quantity, id, orderId)),
      )
      const amount = await this.o.store.insertOrder(tx, orderId, id)
      await this.o.store.endReservation(tx, id, 'confirmed', orderId)
      await this.o.jobs.removeJob(tx, RESERVATIONS_QUEUE, reservationKey(id))
      return { orderId, amount }
    })
  }

  /** The buyer gives up: the units are no longer reserved. Idempotent; a confirmed one is 409. */
  async cancel(id: string): Promise<void> {
    await this.end(id, 'cancelled', false)
  }

  /** The expiry job's work (early: enqueued again for the expiry; late: nothing left to do). */
  async expire(id: string): Promise<{ released: number; early?: boolean }> {
    return this.end(id, 'expired', true)
  }

  private async end(id: string, state: 'cancelled' | 'expired', byJob: boolean) {
    return this.o.store.db.tx(async (tx) => {
      const r = await this.o.store.reservation(tx, id, true)
      if (!r) {
        if (byJob) return { released: 0 }
        throw StockErrors.reservationNotFound(id)
      }
      if (r.state === 'confirmed') {
        if (byJob) return { released: 0 }
        throw StockErrors.reservationConfirmed(id, r.orderId)
      }
      if (r.state !== 'active') return { released: 0 }
      if (byJob && !r.lapsed) {
        await this.scheduleExpiry(tx, id, r.expiresAt)
        return { released: 0, early: true }
      }
      const final = r.lapsed ? 'expired' : state
      await this.o.store.moveLines(tx, r.lines, 0, -1)
      const kind = final === 'expired' ? 'expire' : 'release'
      await this.o.store.log(
        tx,
        r.lines.map((l) => this.movement(l, kind, 0, -l.quantity, id, null)),
      )
      await this.o.store.endReservation(tx, id, final)
      if (!byJob) await this.o.jobs.removeJob(tx, RESERVATIONS_QUEUE, reservationKey(id))
      return { released: r.lines.reduce((n, l) => n + l.quantity, 0) }
    })
  }

  /** Cancel an order: every unit not yet returned goes back on hand, once. */
  async cancelOrder(orderId: string): Promise<void> {
    await this.o.store.db.tx(async (tx) => {
      const o = await this.o.store.lockOrder(tx, orderId)
      if (!o) throw StockErrors.orderNotFound(orderId)
      if (o.state === 'cancelled') throw StockErrors.orderCancelled(orderId)
      const r = (await this.o.store.reservation(tx, o.reservation_id))!
      const back = r.lines
        .map((l) => ({ ...l, quantity: l.quantity - l.returned }))
        .filter((l) => l.quantity > 0)
      await this.o.store.moveLines(tx, back, 1, 0)
      await this.o.store.log(
        tx,
        back.map((l) => this.movement(l, 'cancel', l.quantity, 0, r.id, orderId)),
      )
      await this.o.store.cancelOrder(tx, orderId)
    })
  }

  /** Units of an order come back (a kit comes back as its components): on hand again, at most what was sold. */
  async returnItems(orderId: string, items: { sku: string; quantity: number }[]): Promise<void> {
    await this.o.store.db.tx(async (tx) => {
      const o = await this.o.store.lockOrder(tx, orderId)
      if (!o) throw StockErrors.orderNotFound(orderId)
      if (o.state === 'cancelled') throw StockErrors.orderCancelled(orderId)
      const r = (await this.o.store.reservation(tx, o.reservation_id))!
      const back = linesToReturn(r.lines, items)
      await this.o.store.moveLines(tx, back, 1, 0)
      for (const b of back) await this.o.store.markReturned(tx, r.id, b.line, b.quantity)
      await this.o.store.log(
        tx,
        back.map((l) => this.movement(l, 'return', l.quantity, 0, r.id, orderId)),
      )
    })
  }

  private movement(
    l: Line,
    kind: string,
    onHand: number,
    reserved: number,
    reservationId: string,
    orderId: string | null,
  ): Movement {
    return {
      sku: l.sku,
      location: l.location,
      kind,
      onHandDelta: onHand,
      reservedDelta: reserved,
      reservationId,
      orderId,
    }
  }

  async levels(sku: string) {
    const info = await this.o.store.skuInfo([sku])
    if (!info.has(sku)) throw StockErrors.unknownSkus([sku])
    return { sku, locations: await this.o.store.levels(sku) }
  }

  async movements(sku: string, after: number, limit: number) {
    const info = await this.o.store.skuInfo([sku])
    if (!info.has(sku)) throw StockErrors.unknownSkus([sku])
    return { sku, movements: await this.o.store.movements(sku, after, limit) }
  }

  /** Levels rebuilt from the movement log that differ from the stored ones (none: the log accounts for every unit). */
  audit() {
    return this.o.store.audit()
  }
}
