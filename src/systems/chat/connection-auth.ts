/**
 * The token an open connection runs on, over its whole life (as Centrifugo does it): `hello` says
 * when the token expires; shortly before, the server sends `expiring`; the client answers with a
 * `refresh` frame carrying a new token of the same user, and the connection goes on. A connection
 * whose token expires unrefreshed gets a `CHAT_TOKEN_EXPIRED` error frame and is closed (WebSocket
 * close code 4401). A revoked token or user (revocations.ts) closes its connections the same way
 * with `CHAT_TOKEN_REVOKED`, on every node.
 */
import type { Connection } from './connection.js'
import { ChatError } from './errors.js'
import type { Revocation } from './revocations.js'
import type { TokenClaims } from './tokens.js'

/** The WebSocket close code of a connection whose token expired or was revoked (4000 + 401). */
export const TOKEN_CLOSE_CODE = 4401
/** The most warning `expiring` gives; a short-lived token is warned at half its life. */
const MAX_WARNING_MS = 60_000

/** The fields `hello` and `refreshed` carry about the token. */
export function expiryFields(claims: TokenClaims | undefined, now = Date.now()): Record<string, unknown> {
  if (!claims) return {}
  return {
    expiresAt: new Date(claims.expiresAt).toISOString(),
    expiresInMs: Math.max(0, claims.expiresAt - now),
  }
}

/** When the client is told to refresh: MAX_WARNING_MS before expiry, or at half the token's life. */
function warnAt(c: TokenClaims): number {
  const life = c.issuedAt !== undefined ? c.expiresAt - c.issuedAt : 2 * MAX_WARNING_MS
  return c.expiresAt - Math.min(MAX_WARNING_MS, life / 2)
}

/** Warn connections whose token expires soon, close those whose token expired. */
export function checkExpiry(conns: Iterable<Connection>, now = Date.now()): void {
  for (const conn of [...conns]) {
    const c = conn.auth
    if (!c || conn.closed) continue
    if (now >= c.expiresAt) {
      conn.sendError(ChatError.tokenExpired())
      conn.close(TOKEN_CLOSE_CODE, 'token expired')
    } else if (!conn.expiryWarned && now >= warnAt(c)) {
      conn.expiryWarned = true
      conn.sendFrame({ v: 1, type: 'expiring', ...expiryFields(c, now) })
    }
  }
}

/** Replace a connection's token with a fresh one of the same user (a `refresh` frame). */
export function refresh(conn: Connection, claims: TokenClaims): void {
  if (claims.user !== conn.user)
    throw ChatError.forbidden(`a refreshed token must name the connection's user (${conn.user})`)
  conn.auth = claims
  conn.expiryWarned = false
}

/** Whether `r` revokes the token a connection runs on. */
function revokes(r: Revocation, c: TokenClaims | undefined, user: string): boolean {
  if (r.kind === 'token') return c?.jti === r.jti
  return user === r.user && (c?.issuedAt === undefined || c.issuedAt <= Math.floor(r.before / 1000) * 1000)
}

/** Close the connections whose token `r` revokes; returns how many. */
export function closeRevoked(conns: Iterable<Connection>, r: Revocation): number {
  let n = 0
  for (const conn of [...conns]) {
    if (conn.closed || !revokes(r, conn.auth, conn.user)) continue
    conn.sendError(ChatError.tokenRevoked())
    conn.close(TOKEN_CLOSE_CODE, 'token revoked')
    n++
  }
  return n
}
