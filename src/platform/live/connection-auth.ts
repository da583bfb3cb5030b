/**
 * The token an open connection runs on, over its whole life (as Centrifugo does it): `hello` says
 * when the token expires; shortly before, the server sends `expiring`; the client answers with a
 * `refresh` frame carrying a new token of the same user, and the connection goes on. A connection
 * whose token expires unrefreshed gets a TOKEN_EXPIRED error frame and is closed (WebSocket close
 * code 4401). A revoked token or user (the issuing system decides which: `Live.revoke`) closes its
 * connections the same way with TOKEN_REVOKED.
 */
import type { Connection } from './connection.js'
import type { Principal } from './stream-kind.js'

/** The WebSocket close code of a connection whose token expired or was revoked (4000 + 401). */
export const TOKEN_CLOSE_CODE = 4401
/** The most warning `expiring` gives; a short-lived token is warned at half its life. */
const MAX_WARNING_MS = 60_000

/** The fields `hello` and `refreshed` carry about the token. */
export function expiryFields(claims: Principal | undefined, now = Date.now()): Record<string, unknown> {
  if (!claims) return {}
  return {
    expiresAt: new Date(claims.expiresAt).toISOString(),
    expiresInMs: Math.max(0, claims.expiresAt - now),
  }
}

/** When the client is told to refresh: MAX_WARNING_MS before expiry, or at half the token's life. */
function warnAt(c: Principal): number {
  const life = c.issuedAt !== undefined ? c.expiresAt - c.issuedAt : 2 * MAX_WARNING_MS
  return c.expiresAt - Math.min(MAX_WARNING_MS, life / 2)
}

/** Warn connections whose token expires soon, close those whose token expired. */
export function checkExpiry(conns: Iterable<Connection>, now = Date.now()): void {
  for (const conn of [...conns]) {
    const c = conn.principal
    if (!c || conn.closed) continue
    if (now >= c.expiresAt) {
      conn.sendError(conn.errors.tokenExpired())
      conn.close(TOKEN_CLOSE_CODE, 'token expired')
    } else if (!conn.expiryWarned && now >= warnAt(c)) {
      conn.expiryWarned = true
      conn.sendFrame({ v: 1, type: 'expiring', ...expiryFields(c, now) })
    }
  }
}

/** Replace a connection's token with a fresh one of the same user (a `refresh` frame). */
export function refresh(conn: Connection, claims: Principal): void {
  if (claims.user !== conn.user)
    throw conn.errors.forbidden(`a refreshed token must name the connection's user (${conn.user})`)
  conn.principal = claims
  conn.expiryWarned = false
}

/** Close the connections whose token `revokes` says is revoked; returns how many. */
export function closeRevoked(
  conns: Iterable<Connection>,
  revokes: (principal: Principal | undefined, user: string) => boolean,
): number {
  let n = 0
  for (const conn of [...conns]) {
    if (conn.closed || !revokes(conn.principal, conn.user)) continue
    conn.sendError(conn.errors.tokenRevoked())
    conn.close(TOKEN_CLOSE_CODE, 'token revoked')
    n++
  }
  return n
}
