/**
 * A database that is saturated, restarting or unreachable is a 503 the client may retry, not a 500:
 * the request was fine and nothing of it was committed. These are the shapes node-postgres and
 * PostgreSQL give those conditions; anything else stays an unexpected error.
 */
import { AppError, PlatformErrors } from '../errors.js'

/** PostgreSQL SQLSTATEs that say "not now" rather than "this request is wrong". */
const UNAVAILABLE_SQLSTATES: Record<string, string> = {
  '53300': 'too many connections',
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up',
  '57014': 'a statement ran past its timeout',
}

/** Socket-level failures on the way to the database. */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])

/** The 503 for `err` when it says the database cannot serve now, else undefined. */
export function dependencyFailure(err: unknown): AppError | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as { code?: unknown }).code
  let detail: string | undefined
  if (typeof code === 'string' && code in UNAVAILABLE_SQLSTATES) detail = UNAVAILABLE_SQLSTATES[code]
  else if (typeof code === 'string' && UNAVAILABLE_SOCKET_CODES.has(code))
    detail = `connection failed (${code})`
  // node-postgres' pool: every connection busy past connectionTimeoutMillis, or a connection cut mid-query.
  else if (err.message === 'timeout exceeded when trying to connect') detail = 'no connection free in time'
  else if (/^Connection terminated/.test(err.message)) detail = 'the connection was cut'
  if (detail === undefined) return undefined
  const problem = PlatformErrors.dependencyDown('database', detail)
  return new AppError(problem.code, problem.status, problem.message, {
    extensions: problem.extensions,
    headers: { 'retry-after': '1' },
  })
}
