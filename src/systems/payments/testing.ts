/** Helpers for this system's tests: an app running payments, and a JSON client over inject(). */
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import payments from './index.js'
import { PgLedgerStore } from './ledger/store.pg.js'

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

export interface Res {
  statusCode: number
  body: string
  json: () => Json
}

export interface TestClient {
  app: App
  /** A JSON call under /payments. */
  api(method: string, url: string, body?: unknown): Promise<Res>
  close(): Promise<void>
}

export async function paymentsApp(
  backend: BackendName,
  env: Record<string, string> = {},
): Promise<TestClient> {
  const app = await buildTestApp(backend, { systems: [payments], env })
  return {
    app,
    async api(method, url, body) {
      const res = await app.http.inject({
        method: method as 'GET',
        url: `/payments${url}`,
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

/** Create an account; fails the test unless it was created. */
export async function account(c: TestClient, id: string, currency = 'usd', flags = 'none'): Promise<void> {
  const res = await c.api('POST', '/ledger/accounts', { id, currency, flags })
  if (res.statusCode !== 201) throw new Error(`account ${id}: ${res.statusCode} ${res.body}`)
}

/** The ledger store of the app (reconciliation checks in tests). */
export function ledgerStore(c: TestClient): PgLedgerStore {
  const sys = c.app.systems.find((s) => s.definition.name === 'payments')!
  return new PgLedgerStore(sys.context.db)
}
