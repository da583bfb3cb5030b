/**
 * The inventory calls this page makes, all on the system's public routes (README: API): the
 * seat map of a show, holds (create, read, confirm, release), stock levels of a SKU, and the
 * few creation calls behind the "demo" buttons (a venue and its show; a product, two locations
 * and a receipt), since a fresh server has no show and no stock and lists neither.
 */
import { ApiError, requestJson } from '../../api/http'

export type SeatState = 'free' | 'held' | 'sold'

export interface Seat {
  id: string
  section: string
  row: string
  number: number
  category: string
  price: number
  accessible: boolean
  state: SeatState
}

export interface SeatMap {
  showId: string
  /** The live stream's offset at this read: subscribe from here. */
  offset: number
  seats: Seat[]
}

export interface NewHold {
  id: string
  seats: string[]
  expiresAt: string
}

export interface Hold extends NewHold {
  showId: string
  state: 'active' | 'confirmed' | 'released' | 'expired' | string
  orderId: string | null
}

export interface StockLevel {
  location: string
  onHand: number
  reserved: number
  available: number
}

export interface StockLevels {
  sku: string
  locations: StockLevel[]
}

const BASE = '/inventory'

/** Every seat of `show` with its state, and the stream offset of this read. */
export function seatMap(show: string, signal?: AbortSignal): Promise<SeatMap> {
  return requestJson<SeatMap>(`${BASE}/shows/${encodeURIComponent(show)}/seats`, { signal })
}

/** Hold the named seats (all or nothing), or the best `best` together. */
export function createHold(show: string, body: { seats: string[] } | { best: number }): Promise<NewHold> {
  return requestJson<NewHold>(`${BASE}/shows/${encodeURIComponent(show)}/holds`, { method: 'POST', body })
}

/** A hold as the server has it now (an active hold past its expiry reads `expired`). */
export function getHold(id: string, signal?: AbortSignal): Promise<Hold> {
  return requestJson<Hold>(`${BASE}/holds/${encodeURIComponent(id)}`, { signal })
}

/** Pay (simulated) and turn the hold into an order, once. */
export function confirmHold(id: string): Promise<{ orderId: string; amount: number }> {
  return requestJson(`${BASE}/holds/${encodeURIComponent(id)}/confirm`, { method: 'POST' })
}

/** Give the seats back (idempotent). */
export function releaseHold(id: string): Promise<void> {
  return requestJson<void>(`${BASE}/holds/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

/** A small hall: four rows of stalls, two of balcony. */
export const DEMO_VENUE = {
  name: 'Console demo hall',
  sections: [
    {
      name: 'Stalls',
      category: 'premium',
      price: 5000,
      rows: ['A', 'B', 'C', 'D'].map((name, i) => ({
        name,
        seats: 12,
        ...(i === 0 ? { accessible: [1, 12] } : {}),
      })),
    },
    {
      name: 'Balcony',
      category: 'standard',
      price: 2000,
      rows: [
        { name: 'A', seats: 10 },
        { name: 'B', seats: 10 },
      ],
    },
  ],
}

/** Create the demo venue and a show of it a week from now; the show's id. */
export async function createDemoShow(): Promise<string> {
  const venue = await requestJson<{ id: string }>(`${BASE}/venues`, { method: 'POST', body: DEMO_VENUE })
  const startsAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
  const show = await requestJson<{ id: string }>(`${BASE}/shows`, {
    method: 'POST',
    body: { venueId: venue.id, startsAt },
  })
  return show.id
}

/** The levels of `sku` at every location. */
export function stockLevels(sku: string, signal?: AbortSignal): Promise<StockLevels> {
  return requestJson<StockLevels>(`${BASE}/stock/${encodeURIComponent(sku)}`, { signal })
}

/** The demo stock's locations (created once; an existing one is fine). */
export const DEMO_LOCATIONS = [
  { id: 'east', name: 'East warehouse' },
  { id: 'west', name: 'West warehouse' },
]

/** Create a demo product `sku` and receive units of it at both demo locations; the SKU. */
export async function createDemoStock(sku: string): Promise<string> {
  for (const loc of DEMO_LOCATIONS) {
    try {
      await requestJson(`${BASE}/locations`, { method: 'POST', body: loc })
    } catch (err) {
      if (!(err instanceof ApiError && err.problem?.code === 'INVENTORY_LOCATION_EXISTS')) throw err
    }
  }
  await requestJson(`${BASE}/products`, {
    method: 'POST',
    body: { name: 'Console demo T-shirt', variants: [{ sku, price: 1500, lowStockThreshold: 5 }] },
  })
  await requestJson(`${BASE}/stock/receipts`, {
    method: 'POST',
    body: { sku, location: 'east', quantity: 40, note: 'console demo' },
  })
  await requestJson(`${BASE}/stock/receipts`, {
    method: 'POST',
    body: { sku, location: 'west', quantity: 12, note: 'console demo' },
  })
  return sku
}

/** Reserve `quantity` units of `sku` (wherever the most are) for a minute: another buyer, as seen from here. */
export function reserveStock(sku: string, quantity: number): Promise<{ id: string }> {
  return requestJson(`${BASE}/reservations`, {
    method: 'POST',
    body: { items: [{ sku, quantity }], ttlSeconds: 60 },
  })
}
