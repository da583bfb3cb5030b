/**
 * Many buyers at once for few units, through the stock service on each strategy: 200 buyers for
 * 20 units of one SKU, half of them buying it alone and half inside a kit that shares it (so a
 * kit and a product compete for the same level), all started together, then every acknowledged
 * reservation confirmed at once. Each real strategy promises exactly the 20 units and sells them
 * once, and the movement log still rebuilds every level; the naive read-then-write one, in the
 * same test, promises more units than exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../platform/errors.js'
import { backends } from '../../../platform/testing/backends.js'
import { StockErrors } from '../stock/errors.js'
import type { StockStrategy } from '../stock/ports.js'
import { StockService } from '../stock/service.js'
import { StockStore } from '../stock/store.pg.js'
import { OptimisticStockStrategy } from '../stock/strategy.optimistic.js'
import { PessimisticStockStrategy } from '../stock/strategy.pessimistic.js'
import { audit, levels, location, product, receive, unique } from '../stock/testing.js'
import { APP_TIMEOUT_MS, inventoryApp, type TestClient } from '../testing.js'
import { NaiveStockStrategy } from './naive-stock.strategy.js'

const UNITS = 20
const BUYERS = 200

function ctx(c: TestClient) {
  return c.app.systems.find((s) => s.definition.name === 'inventory')!.context
}

const strategies: [string, (c: TestClient) => StockStrategy][] = [
  ['pessimistic', (c) => new PessimisticStockStrategy(ctx(c).db)],
  ['optimistic', (c) => new OptimisticStockStrategy(ctx(c).db, 10_000, (n) => StockErrors.contended(n))],
]

function service(c: TestClient, strategy: StockStrategy): StockService {
  return new StockService({
    store: new StockStore(ctx(c).db),
    strategy,
    jobs: ctx(c).jobs,
    outbox: undefined,
    reservationTtlSeconds: 600,
  })
}

/** A SKU with UNITS on hand, a kit of it and a plentiful other part; every buyer at once. */
async function rush(c: TestClient, svc: StockService) {
  const at = await location(c)
  const [hot, part] = await product(c, [{ sku: unique('hot') }, { sku: unique('part') }])
  const [kit] = await product(c, [
    {
      sku: unique('kit'),
      components: [
        { sku: hot, quantity: 1 },
        { sku: part, quantity: 1 },
      ],
    },
  ])
  await receive(c, hot!, at, UNITS)
  await receive(c, part!, at, BUYERS)
  const out = await Promise.all(
    Array.from({ length: BUYERS }, async (_, i) => {
      try {
        return { r: await svc.reserve([{ sku: i % 2 === 0 ? hot! : kit!, quantity: 1 }]) }
      } catch (err) {
        if (err instanceof AppError) return { refused: err.code }
        throw err
      }
    }),
  )
  const reserved = out.flatMap((o) => (o.r ? [o.r] : []))
  const refused = out.flatMap((o) => (o.refused ? [o.refused] : []))
  return { at, hot: hot!, part: part!, reserved, refused }
}

describe.each(backends())('many buyers, few units (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend)
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it.each(strategies)(`%s: exactly ${UNITS} units promised and sold, each once`, async (_name, make) => {
    const svc = service(c, make(c))
    const { at, hot, part, reserved, refused } = await rush(c, svc)
    expect(reserved.length).toBe(UNITS)
    expect(new Set(refused)).toEqual(new Set(['INVENTORY_INSUFFICIENT_STOCK']))
    expect(await levels(c, hot, at)).toEqual({ [at]: [UNITS, UNITS] })
    const orders = await Promise.all(reserved.map((r) => svc.confirm(r.id)))
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(UNITS)
    const kits = reserved.filter((r) => r.lines[0]!.forSku !== hot).length
    expect(await levels(c, hot, at)).toEqual({ [at]: [0, 0] })
    expect(await levels(c, part, at)).toEqual({ [at]: [BUYERS - kits, 0] })
    expect(await audit(c)).toEqual([])
  })

  it('naive read-then-write: more units promised than exist', async () => {
    const svc = service(c, new NaiveStockStrategy(ctx(c).db))
    const { reserved } = await rush(c, svc)
    expect(reserved.length).toBeGreaterThan(UNITS)
  })
})
