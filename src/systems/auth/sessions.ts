/**
 * Login sessions of an account: listed, and revoked one by one or all at once. A session is
 * oidc-provider's Session artifact (one browser's sign-in); revoking it deletes it and every
 * grant made through it, with their refresh tokens, codes and opaque access tokens, so the
 * applications signed in through that browser lose their refresh tokens too.
 */
import type { Db, Queryable } from '../../platform/db/port.js'

export interface SessionInfo {
  uid: string
  accountId: string
  /** When the user signed in. */
  loginAt: Date
  expiresAt: Date | null
  /** The clients signed in through this session. */
  clients: string[]
}

interface SessionPayload {
  uid: string
  accountId: string
  loginTs?: number
  authorizations?: Record<string, { grantId?: string }>
}

export class Sessions {
  constructor(private readonly db: Db) {}

  /** The account's live sessions, newest first. */
  async list(accountId: string): Promise<SessionInfo[]> {
    const { rows } = await this.db.query<{ payload: SessionPayload; expires_at: Date | null }>(
      `SELECT payload, expires_at FROM oidc_artifacts
       WHERE model = 'Session' AND payload->>'accountId' = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [accountId],
    )
    return rows
      .map((r) => ({
        uid: r.payload.uid,
        accountId,
        loginAt: new Date((r.payload.loginTs ?? 0) * 1000),
        expiresAt: r.expires_at && new Date(r.expires_at),
        clients: Object.keys(r.payload.authorizations ?? {}),
      }))
      .sort((a, b) => b.loginAt.getTime() - a.loginAt.getTime())
  }

  /** Revoke one session of the account (`uid`) or all of them; returns how many were revoked. */
  async revoke(accountId: string, uid?: string): Promise<number> {
    return this.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ payload: SessionPayload }>(
        `DELETE FROM oidc_artifacts WHERE model = 'Session' AND payload->>'accountId' = $1
           AND ($2::text IS NULL OR uid = $2) RETURNING payload`,
        [accountId, uid ?? null],
      )
      const grants = rows.flatMap((r) =>
        Object.values(r.payload.authorizations ?? {}).flatMap((a) => (a.grantId ? [a.grantId] : [])),
      )
      if (grants.length > 0)
        await tx.query(
          `DELETE FROM oidc_artifacts WHERE (model = 'Grant' AND id = ANY($1::text[])) OR grant_id = ANY($1::text[])`,
          [grants],
        )
      return rows.length
    })
  }

  /**
   * Everything the provider keeps for the account (sessions, grants, refresh tokens, codes):
   * what a disabled account must lose. Returns how many rows went.
   */
  async revokeAccount(accountId: string): Promise<number> {
    const { rowCount } = await this.db.query("DELETE FROM oidc_artifacts WHERE payload->>'accountId' = $1", [
      accountId,
    ])
    return rowCount ?? 0
  }

  /** One grant and everything issued under it (refresh tokens, codes); false when there was none. */
  async revokeGrant(grantId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ model: string }>(
      `DELETE FROM oidc_artifacts WHERE (model = 'Grant' AND id = $1) OR grant_id = $1 RETURNING model`,
      [grantId],
    )
    return rows.some((r) => r.model === 'Grant')
  }
}
