/** Helpers for the board tests: a listening app on a backend, tokens, and a JSON client. */
import { type App, buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import board from './index.js'

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

export interface Answer {
  status: number
  body: Json
  headers: Headers
}

/** A board client for the server at `url`. */
export function boardClient(url: string) {
  const api = async (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${url}/board${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    const text = await res.text()
    let parsed: Json = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers }
  }
  /** A call that must succeed (2xx): its body. */
  const ok = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => {
    const r = await api(method, path, token, body, headers)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body as Json
  }
  return {
    url,
    api,
    ok,
    async token(user: string): Promise<string> {
      const r = await api('POST', '/tokens', undefined, { user })
      if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.token
    },
    /** The board view once it has reached `version` (read-your-writes). */
    view: (token: string, board: string, version = 0) =>
      ok('GET', `/boards/${board}?minVersion=${version}`, token),
  }
}

export type BoardClient = ReturnType<typeof boardClient>

export interface BoardTestApp extends BoardClient {
  app: App
  close(): Promise<void>
}

/** A board app on `backend`, listening on a free port. */
export async function boardApp(
  backend: BackendName,
  env: Record<string, string> = {},
): Promise<BoardTestApp> {
  const app = await buildTestApp(backend, {
    systems: [board],
    env: { LIVE_PRESENCE_INTERVAL_MS: '200', BOARD_SWEEP_MS: '100', BOARD_PROJECTOR_POLL_MS: '50', ...env },
  })
  await app.http.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
  return { app, ...boardClient(url), close: () => app.close() }
}

/** The lists and card ids of a board view, in order: what two views must agree on. */
export function layout(view: Json): { list: string; cards: string[] }[] {
  return view.lists.map((l: Json) => ({ list: l.id, cards: l.cards.map((c: Json) => c.id) }))
}

/** The board system's own schema on the test app's database. */
export function boardDb(t: BoardTestApp) {
  return t.app.db.withSchema(`${t.app.config.dbSchemaPrefix}board`)
}
