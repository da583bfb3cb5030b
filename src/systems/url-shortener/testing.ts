/** Helpers for this system's tests: an app with an API key, and a JSON client over inject(). */
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import urlShortener from './index.js'

export const TEST_KEY = 'test-api-key-0000-0000-000000000000'
export const BASE = 'https://s.test'

export interface TestClient {
  app: App
  /** A management call with the API key. */
  api(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>
  /** A public call, no key. */
  get(url: string, headers?: Record<string, string>): Promise<Res>
  close(): Promise<void>
}

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

export interface Res {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  json: () => Json
}

export async function shortenerApp(
  backend: BackendName,
  env: Record<string, string> = {},
): Promise<TestClient> {
  const app = await buildTestApp(backend, {
    systems: [urlShortener],
    env: { PUBLIC_URL: BASE, INITIAL_API_KEY: TEST_KEY, URL_SHORTENER_VISITS_FLUSH_MS: '20', ...env },
  })
  return {
    app,
    async api(method, url, body, headers = {}) {
      const res = await app.http.inject({
        method: method as 'GET',
        url,
        headers: {
          'x-api-key': TEST_KEY,
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
      return res as unknown as Res
    },
    async get(url, headers = {}) {
      return (await app.http.inject({ method: 'GET', url, headers })) as unknown as Res
    },
    close: () => app.close(),
  }
}

/** Shlink's `invalid-data` problem, without the fields naming what was invalid. */
export const INVALID_DATA = {
  type: 'https://shlink.io/api/error/invalid-data',
  title: 'Invalid data',
  detail: 'Provided data is not valid',
  status: 400,
}

/** `POST /rest/v3/short-urls` with Shlink's test long URL unless `body` gives one; status and parsed body. */
export async function createShortUrl(c: TestClient, body: Record<string, unknown>) {
  const res = await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://app.shlink.io', ...body })
  return { status: res.statusCode, body: res.json() as Json }
}

/** The visits flusher of an app (tests flush instead of sleeping). */
export function flushVisits(app: App): Promise<void> {
  const sys = app.systems.find((s) => s.definition.name === 'url-shortener')!
  const buffer = sys.instance.workers!.find((w) => w.name === 'url-shortener:visits-flusher') as unknown as {
    flush(): Promise<void>
  }
  return buffer.flush()
}
