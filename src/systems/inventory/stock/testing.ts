/** Helpers for the stock tests: a location, a product, stock received, a reservation. */
import { expectStatus, type Json, type TestClient } from '../testing.js'

let seq = 0
/** A name no other test of this run uses (tests share an app). */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

export async function location(c: TestClient, id = unique('L')): Promise<string> {
  expectStatus(await c.api('POST', '/locations', { id, name: id }), 201)
  return id
}

/** A product of `variants`; the SKUs. */
export async function product(c: TestClient, variants: Json[]): Promise<string[]> {
  return expectStatus(await c.api('POST', '/products', { name: unique('P'), variants }), 201).skus
}

export async function receive(c: TestClient, sku: string, location: string, quantity: number): Promise<Json> {
  return expectStatus(await c.api('POST', '/stock/receipts', { sku, location, quantity }), 201)
}

/** Levels of a SKU by location, [onHand, reserved], at `at` (other tests' locations left out). */
export async function levels(
  c: TestClient,
  sku: string,
  ...at: string[]
): Promise<Record<string, [number, number]>> {
  const body = expectStatus(await c.api('GET', `/stock/${sku}`), 200)
  return Object.fromEntries(
    body.locations
      .filter((l: Json) => at.includes(l.location))
      .map((l: Json) => [l.location, [l.onHand, l.reserved]]),
  )
}

export async function audit(c: TestClient): Promise<Json[]> {
  return expectStatus(await c.api('GET', '/audit/stock'), 200).mismatches
}
