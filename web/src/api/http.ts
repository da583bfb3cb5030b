/**
 * The console's one way to call the server. Every failure becomes an
 * ApiError that says which kind it is, because the page shows them
 * differently: `network` (the server is down: a banner with retry) or
 * `http` (the server answered with an error: its problem+json message,
 * next to the field it names when it names one).
 */
import { asProblem, type Problem, problemMessage } from './problem'

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly kind: 'network' | 'http',
    message: string,
    readonly status = 0,
    readonly problem?: Problem,
  ) {
    super(message)
  }
}

/**
 * Sent on the console's reads (its polling and page loads): the server records them apart from the
 * system's RED metrics (`http_console_request_duration_seconds`), so an idle system shows no traffic
 * of the console's own. Writes (a person enqueueing a job, creating a link) are the system's traffic
 * and go unmarked. See docs/platform.md.
 */
export const CONSOLE_CLIENT_HEADER = ['x-blueprints-client', 'console'] as const

/** Fetch `path`; a failed connection or a non-2xx answer throws ApiError. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response
  const method = (init.method ?? 'GET').toUpperCase()
  if (method === 'GET' || method === 'HEAD') {
    const h = init.headers
    // A plain object stays one (callers and tests read it as a record).
    const given = h instanceof Headers || Array.isArray(h) ? Object.fromEntries(h) : (h ?? {})
    init = { ...init, headers: { ...given, [CONSOLE_CLIENT_HEADER[0]]: CONSOLE_CLIENT_HEADER[1] } }
  }
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError('network', `The server did not answer ${path}: is it running?`)
  }
  if (res.ok) return res
  const text = await res.text().catch(() => '')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const problem = asProblem(body)
  const message = problem
    ? problemMessage(problem)
    : `${res.status} ${res.statusText || 'error'} from ${path}`
  throw new ApiError('http', message, res.status, problem)
}

/** GET or send JSON and parse the JSON answer (204 gives undefined). */
export async function requestJson<T>(
  path: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await request(path, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  })
  if (res.status === 204) return undefined as T
  try {
    return (await res.json()) as T
  } catch {
    throw new ApiError('http', `The answer from ${path} is not JSON`, res.status)
  }
}

/** GET a text body (Prometheus metrics). */
export async function requestText(path: string, signal?: AbortSignal): Promise<string> {
  return (await request(path, { signal })).text()
}
