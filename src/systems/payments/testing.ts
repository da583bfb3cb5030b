/** Helpers for this system's tests: an app running payments, and a JSON client over inject(). */
import Stripe from 'stripe'
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
export function ledgerStore(c: { app: App }): PgLedgerStore {
  const sys = c.app.systems.find((s) => s.definition.name === 'payments')!
  return new PgLedgerStore(sys.context.db)
}

/** The secret key the Stripe API tests use (PAYMENTS_INITIAL_SECRET_KEY). */
export const TEST_SECRET_KEY = 'sk_test_0123456789abcdefghijABCDEFGHIJ'

export interface StripeTestApp {
  app: App
  origin: string
  /** stripe-node pointed at the app, unchanged but for host, port and protocol. */
  stripe: Stripe
  /** A raw /v1 call (form body as written), for what stripe-node would never send. */
  raw(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Res>
  close(): Promise<void>
}

/** An app running payments, listening on loopback, with stripe-node as its client. */
export async function stripeApp(
  backend: BackendName,
  env: Record<string, string> = {},
): Promise<StripeTestApp> {
  const app = await buildTestApp(backend, {
    systems: [payments],
    env: { PAYMENTS_INITIAL_SECRET_KEY: TEST_SECRET_KEY, ...env },
  })
  const origin = await app.start()
  const url = new URL(origin)
  const stripe = new Stripe(TEST_SECRET_KEY, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    // A loaded CI machine: generous, and retries as stripe-node does by default (keyed POSTs).
    timeout: 120_000,
  })
  return {
    app,
    origin,
    stripe,
    async raw(method, path, body, headers = {}) {
      const res = await app.http.inject({
        method: method as 'GET',
        url: path,
        headers: {
          authorization: `Bearer ${TEST_SECRET_KEY}`,
          ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }),
          ...headers,
        },
        ...(body !== undefined && { payload: body }),
      })
      return res as unknown as Res
    },
    close: () => app.close(),
  }
}
