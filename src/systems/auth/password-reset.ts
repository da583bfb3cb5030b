/**
 * Password reset by a link sent by mail. Asking for a link answers the same whether or not the
 * email has an account; the link's token is random and only its hash is stored; the mail job is
 * enqueued in the transaction that records the link (platform/jobs), so a link exists if and only
 * if its mail will be sent. Using a link sets the password, kills every other pending link, and
 * signs the account out everywhere (sessions, grants and refresh tokens deleted).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import type { AuditLog } from './audit.js'
import { MAIL_QUEUE, SEND_MAIL_TASK } from './mail.js'
import { type PasswordHasher, passwordProblem } from './passwords.js'

export interface PasswordResetOptions {
  db: Db
  jobs: SystemJobs
  hasher: PasswordHasher
  audit: AuditLog
  /** Reset requests per email (and per IP), counted whether or not the email has an account. */
  throttle: RateLimiter
  /** The page a link opens, for a token. */
  linkFor: (token: string) => string
  ttlS: number
}

export type ResetResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid' | 'password'; detail?: string }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export class PasswordResets {
  constructor(private readonly o: PasswordResetOptions) {}

  /** Send a reset link if the email has an account (and the asker is not over the limit). */
  async request(email: string, ip: string): Promise<void> {
    const e = email.trim().toLowerCase()
    const [byEmail, byIp] = await Promise.all([
      this.o.throttle.consume(`e:${sha256(e)}`),
      this.o.throttle.consume(`i:${ip}`),
    ])
    if (!byEmail.allowed || !byIp.allowed) {
      await this.o.audit.record({ event: 'password_reset.throttled', ip })
      return
    }
    await this.o.db.tx(async (tx) => {
      const { rows } = await tx.query<{ id: string; email: string }>(
        'SELECT id, email FROM users WHERE lower(email) = $1 AND NOT disabled',
        [e],
      )
      const user = rows[0]
      if (!user) return
      const token = randomBytes(32).toString('base64url')
      await tx.query(
        `INSERT INTO password_resets (id, user_id, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))`,
        [randomUUID(), user.id, sha256(token), this.o.ttlS],
      )
      const minutes = Math.round(this.o.ttlS / 60)
      await this.o.jobs.addJob(tx, MAIL_QUEUE, {
        task: SEND_MAIL_TASK,
        payload: {
          to: user.email,
          subject: 'Reset your password',
          text:
            `Someone asked to reset the password of ${user.email}.\n\n` +
            `To choose a new password, open this link within ${minutes} minutes:\n${this.o.linkFor(token)}\n\n` +
            'If it was not you, ignore this mail: your password stays as it is.\n',
        },
      })
      await this.o.audit.record({ event: 'password_reset.requested', userId: user.id, ip }, tx)
    })
  }

  /** Whether `token` is a pending, unexpired link. */
  async isValid(token: string): Promise<boolean> {
    const { rows } = await this.o.db.query(
      'SELECT 1 FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()',
      [sha256(token)],
    )
    return rows.length > 0
  }

  /** Set the password with a link's token. */
  async complete(token: string, password: string, ip: string): Promise<ResetResult> {
    const hash = await this.o.hasher.hash(password)
    return this.o.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ user_id: string; email: string }>(
        `SELECT r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND NOT u.disabled
         FOR UPDATE OF r`,
        [sha256(token)],
      )
      const row = rows[0]
      if (!row) return { ok: false, reason: 'invalid' } as const
      const problem = passwordProblem(password, row.email)
      if (problem) return { ok: false, reason: 'password', detail: `The password ${problem}.` } as const
      await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [
        row.user_id,
        hash,
      ])
      await tx.query('UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [
        row.user_id,
      ])
      // Signed out everywhere: whoever knew the old password loses the sessions and refresh tokens.
      await tx.query("DELETE FROM oidc_artifacts WHERE payload->>'accountId' = $1", [row.user_id])
      await this.o.audit.record({ event: 'password.reset', userId: row.user_id, ip }, tx)
      return { ok: true, userId: row.user_id } as const
    })
  }
}
