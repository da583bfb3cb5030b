/** Helpers for this system's tests: an app running inventory, a JSON client over inject(), a venue. */
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import inventory from './index.js'
import { SeatStore } from './seats/store.pg.js'

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

/** Building the first app of a test worker opens PGlite and migrates the job tables: slow on a loaded machine. */
export const APP_TIMEOUT_MS = 180_000

export interface Res {
  statusCode: number
  body: string
  headers: Record<string, unknown>
  json: () => Json
}

export interface TestClient {
  app: App
  /** A JSON call under /inventory. */
  api(method: string, url: string, body?: unknown): Promise<Res>
  close(): Promise<void>
}

/** An app running only inventory on `backend` (fresh schemas), with `env` on top. */
export async function inventoryApp(
  backend: BackendName,
  env: Record<string, string> = {},
  opts: { startWorkers?: boolean } = {},
): Promise<TestClient> {
  const app = await buildTestApp(backend, { systems: [inventory], env, ...opts })
  return {
    app,
    async api(method, url, body) {
      const res = await app.http.inject({
        method: method as 'GET',
        url: `/inventory${url}`,
        ...(body !== undefined && {
          headers: { 'content-type': 'application/json' },
          payload: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      })
      return res as unknown as Res
    },
    close: () => app.close(),
  }
}

/** Fail the test unless `res` has `status`, showing the body. */
export function expectStatus(res: Res, status: number): Json {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
  return res.body ? res.json() : undefined
}

/** A venue of `rows` rows of `seats` seats in one section `S` (rows `A`, `B`, ...); a show of it; the show's id. */
export async function simpleShow(c: TestClient, rows: number, seats: number): Promise<string> {
  const venue = expectStatus(
    await c.api('POST', '/venues', {
      name: 'Test hall',
      sections: [
        {
          name: 'S',
          price: 1000,
          rows: Array.from({ length: rows }, (_, i) => ({ name: String.fromCharCode(65 + i), seats })),
        },
      ],
    }),
    201,
  )
  const show = expectStatus(
    await c.api('POST', '/shows', { venueId: venue.id, startsAt: '2027-01-01T20:00:00Z' }),
    201,
  )
  return show.id
}

/** Seat states of a show by seat id. */
export async function states(c: TestClient, showId: string): Promise<Map<string, string>> {
  const map = expectStatus(await c.api('GET', `/shows/${showId}/seats`), 200)
  return new Map(map.seats.map((s: Json) => [s.id, s.state]))
}

/** The seat store of the app (direct checks in tests). */
export function seatStore(c: TestClient): SeatStore {
  const sys = c.app.systems.find((s) => s.definition.name === 'inventory')!
  return new SeatStore(sys.context.db)
}
