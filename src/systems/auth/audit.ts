/**
 * The audit log: every security event (login, failed login, locked login,
 * logout, token reuse, grant revocation, key rotation, client and user
 * changes), appended to `audit_log` and queryable by user, event and time.
 */
import type { Queryable } from '../../platform/db/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'

export type AuditEvent =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.locked'
  | 'logout'
  | 'consent.granted'
  | 'refresh_token.reused'
  | 'grant.revoked'
  | 'key.rotated'
  | 'key.deleted'
  | 'client.created'
  | 'client.deleted'
  | 'client.updated'
  | 'client.secret_rotated'
  | 'user.updated'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.lockout_reset'
  | 'email_verification.sent'
  | 'email.verified'
  | 'user.created'
  | 'password.rehashed'
  | 'password_reset.requested'
  | 'password_reset.throttled'
  | 'password.reset'
  | 'session.revoked'
  | 'login.password_verified'
  | 'mfa.enrolled'
  | 'mfa.verified'
  | 'mfa.failed'
  | 'mfa.locked'
  | 'mfa.recovery_code_used'
  | 'mfa.reset'
  | 'passkey.registered'
  | 'passkey.removed'
  | 'passkey.failed'
  | 'passkey.cloned'
  | 'mfa.recovery_codes_renewed'
  | 'mfa.totp_removed'
  | 'user.mfa_required'
  | 'user.signed_up'
  | 'user.signup_existing'
  | 'org.created'
  | 'org.updated'
  | 'org.deleted'
  | 'org.role_created'
  | 'org.role_updated'
  | 'org.role_deleted'
  | 'org.member_set'
  | 'org.member_removed'
  | 'org.invitation_sent'
  | 'org.invitation_revoked'
  | 'org.invitation_accepted'

export interface AuditEntry {
  event: AuditEvent
  /** Who caused it (the admin API's token subject); default: the user, else the client. */
  actor?: string | undefined
  userId?: string | undefined
  clientId?: string | undefined
  ip?: string | undefined
  detail?: Record<string, unknown>
}

export interface AuditRecord extends AuditEntry {
  id: number
  at: Date
}

export class AuditLog {
  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** Append one event. A failure to write is logged, not thrown: the login it describes has happened. */
  async record(e: AuditEntry, tx: Queryable = this.db): Promise<void> {
    try {
      await tx.query(
        'INSERT INTO audit_log (event, user_id, client_id, ip, detail, actor) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          e.event,
          e.userId ?? null,
          e.clientId ?? null,
          e.ip ?? null,
          JSON.stringify(e.detail ?? {}),
          e.actor ?? e.userId ?? e.clientId ?? null,
        ],
      )
    } catch (err) {
      this.log.error({ err, event: e.event }, 'audit log write failed')
    }
  }

  /**
   * Newest first, filtered by actor, user, event and time (`from` inclusive, `to` exclusive);
   * `before`: the id after which the page starts (keyset paging); at most `limit` (1..1000).
   */
  async query(f: AuditFilter = {}): Promise<AuditRecord[]> {
    const { rows } = await this.db.query<{
      id: string
      at: Date
      event: AuditEvent
      actor: string | null
      user_id: string | null
      client_id: string | null
      ip: string | null
      detail: Record<string, unknown>
    }>(
      `SELECT * FROM audit_log
       WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text[] IS NULL OR event = ANY($2::text[]))
         AND ($3::bigint IS NULL OR id < $3) AND ($5::text IS NULL OR actor = $5)
         AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
       ORDER BY id DESC LIMIT $4`,
      [
        f.userId ?? null,
        f.events && f.events.length > 0 ? f.events : null,
        f.before ?? null,
        Math.min(Math.max(f.limit ?? 100, 1), 1000),
        f.actor ?? null,
        f.from?.toISOString() ?? null,
        f.to?.toISOString() ?? null,
      ],
    )
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at),
      event: r.event,
      actor: r.actor ?? undefined,
      userId: r.user_id ?? undefined,
      clientId: r.client_id ?? undefined,
      ip: r.ip ?? undefined,
      detail: r.detail,
    }))
  }
}

export interface AuditFilter {
  actor?: string | undefined
  userId?: string | undefined
  /** Any of these event types. */
  events?: string[] | undefined
  from?: Date | undefined
  to?: Date | undefined
  before?: number | undefined
  limit?: number | undefined
}
