/**
 * A stand-in for the server in component tests: `fetch` answered by a
 * table of handlers keyed by path (query string ignored), so a test states
 * exactly what the server says, including that it is down.
 */
import { vi } from 'vitest'

export type Handler = (init: RequestInit | undefined, url: string) => Response | Promise<Response>

/** A JSON answer. */
export function json(body: unknown, status = 200, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
}

/** A problem+json answer. */
export function problem(status: number, body: Record<string, unknown>): Response {
  return json({ status, ...body }, status, 'application/problem+json')
}

/** A text answer (Prometheus metrics). */
export function text(body: string): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' } })
}

/** What a server running `systems`, all healthy, answers. */
export function healthyServer(systems: { name: string; description: string }[]): Record<string, Handler> {
  return {
    '/openapi.json': () => json({ tags: [{ name: 'platform', description: 'Health' }, ...systems] }),
    '/readyz': () => json({ status: 'ready', checks: { database: { status: 'ok' }, bus: { status: 'ok' } } }),
    '/metrics': () => text('# no requests yet\n'),
  }
}

/** Replace global fetch with `routes`; a path without a handler is a 404 problem. Returns the mock. */
export function stubFetch(routes: Record<string, Handler>) {
  const mock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!
    const handler = routes[path]
    if (!handler) return problem(404, { title: 'Not Found', detail: `No route matches ${path}` })
    return handler(init, url)
  })
  vi.stubGlobal('fetch', mock)
  return mock
}

/** A fetch that fails as it does when nothing listens. */
export function serverDown(): Handler {
  return () => Promise.reject(new TypeError('Failed to fetch'))
}
