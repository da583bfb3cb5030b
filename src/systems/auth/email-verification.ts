/**
 * Email verification by a link sent by mail. The link's token is random and only its hash is
 * stored; the mail job is enqueued in the transaction that records the link (platform/jobs), so a
 * link exists if and only if its mail will be sent. Using the link (once, before it expires)
 * marks the account's email verified, which the `email_verified` claim reports from then on. The
 * link names the address it was sent to: it verifies nothing if the account's email changed since.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { AuditLog } from './audit.js'
import { MAIL_QUEUE, SEND_MAIL_TASK } from './mail.js'

export interface EmailVerificationOptions {
  db: Db
  jobs: SystemJobs
  audit: AuditLog
  /** The page a link opens, for a token. */
  linkFor: (token: string) => string
  ttlS: number
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export class EmailVerifications {
  constructor(private readonly o: EmailVerificationOptions) {}

  /**
   * Send a link to the account's email unless it is verified (or there is no such account);
   * true when a link was sent. `actor`: who asked (the admin API's token subject).
   */
  async send(userId: string, actor?: string): Promise<boolean> {
    return this.o.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ email: string }>(
        'SELECT email FROM users WHERE id = $1 AND NOT email_verified AND NOT disabled FOR UPDATE',
        [userId],
      )
      const user = rows[0]
      if (!user) return false
      const token = randomBytes(32).toString('base64url')
      await tx.query(
        `INSERT INTO email_verifications (id, user_id, email, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int))`,
        [randomUUID(), userId, user.email, sha256(token), this.o.ttlS],
      )
      const hours = Math.round(this.o.ttlS / 3600)
      await this.o.jobs.addJob(tx, MAIL_QUEUE, {
        task: SEND_MAIL_TASK,
        payload: {
          to: user.email,
          subject: 'Confirm your email address',
          text:
            `An account was made for ${user.email}.\n\n` +
            `To confirm that this address is yours, open this link within ${hours} hours:\n${this.o.linkFor(token)}\n\n` +
            'If you did not expect this mail, ignore it.\n',
        },
      })
      await this.o.audit.record({ event: 'email_verification.sent', userId, actor }, tx)
      return true
    })
  }

  /** Whether `token` is a pending, unexpired link. */
  async isValid(token: string): Promise<boolean> {
    const { rows } = await this.o.db.query(
      'SELECT 1 FROM email_verifications WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()',
      [sha256(token)],
    )
    return rows.length > 0
  }

  /** Verify with a link's token; the account's id, or undefined for a used, expired or unknown link. */
  async complete(token: string, ip: string): Promise<string | undefined> {
    return this.o.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ user_id: string }>(
        `SELECT v.user_id FROM email_verifications v JOIN users u ON u.id = v.user_id
         WHERE v.token_hash = $1 AND v.used_at IS NULL AND v.expires_at > now()
           AND lower(u.email) = lower(v.email) AND NOT u.disabled
         FOR UPDATE OF v`,
        [sha256(token)],
      )
      const row = rows[0]
      if (!row) return undefined
      await tx.query('UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1', [
        row.user_id,
      ])
      await tx.query(
        'UPDATE email_verifications SET used_at = now() WHERE user_id = $1 AND used_at IS NULL',
        [row.user_id],
      )
      await this.o.audit.record({ event: 'email.verified', userId: row.user_id, ip }, tx)
      return row.user_id
    })
  }
}
