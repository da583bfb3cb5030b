/**
 * Invitations to an organisation by mail. The link's token is random and only its hash is stored;
 * the mail job is enqueued in the transaction that records the invitation (platform/jobs), so an
 * invitation exists if and only if its mail will be sent. Accepting (once, before it expires, not
 * revoked) makes the account with the invited email a member with the invited roles; with no such
 * account, the person chooses a password and the account is made then (the password policy
 * applies). Either way the email counts as verified: the link was mailed to it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import { AppError, invalidParams } from '../../platform/errors.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { AuditLog } from './audit.js'
import { MAIL_QUEUE, SEND_MAIL_TASK } from './mail.js'
import type { Organisations } from './organisations.js'
import { orgNotFound } from './organisations.js'
import { type PasswordHasher, passwordProblem } from './passwords.js'

export interface InvitationOptions {
  db: Db
  jobs: SystemJobs
  audit: AuditLog
  orgs: Organisations
  hasher: PasswordHasher
  linkFor: (token: string) => string
  ttlS: number
}

export interface Invitation {
  id: string
  orgId: string
  email: string
  roleIds: string[]
  createdAt: Date
  expiresAt: Date
  status: 'pending' | 'accepted' | 'revoked' | 'expired'
}

/** What the acceptance page shows about a link. */
export interface InvitationPreview {
  orgName: string
  email: string
  hasAccount: boolean
}

export type AcceptResult =
  | { ok: true; userId: string; orgId: string; created: boolean }
  | { ok: false; reason: 'invalid' | 'password_needed' }

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

type Row = {
  id: string
  org_id: string
  email: string
  role_ids: string[]
  created_at: Date
  expires_at: Date
  accepted_at: Date | null
  revoked_at: Date | null
  invited_by: string | null
}
function toInvitation(r: Row): Invitation {
  const status = r.accepted_at
    ? 'accepted'
    : r.revoked_at
      ? 'revoked'
      : new Date(r.expires_at) <= new Date()
        ? 'expired'
        : 'pending'
  return {
    id: r.id,
    orgId: r.org_id,
    email: r.email,
    roleIds: r.role_ids,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    status,
  }
}

export class Invitations {
  constructor(private readonly o: InvitationOptions) {}

  /** Invite `email` with `roleIds`; the mail is sent by a job of the same transaction. */
  async invite(orgId: string, email: string, roleIds: string[], actor?: string): Promise<Invitation> {
    const address = email.trim()
    if (!EMAIL.test(address))
      throw invalidParams('AUTH_INVALID_INVITATION', 400, [
        { name: 'email', reason: 'is not an email address' },
      ])
    return this.o.db.tx(async (tx: Queryable) => {
      const { rows: orgs } = await tx.query<{ name: string }>(
        'SELECT name FROM organisations WHERE id = $1 FOR SHARE',
        [orgId],
      )
      if (!orgs[0]) throw orgNotFound(orgId)
      const ids = [...new Set(roleIds)]
      const { rows: known } = await tx.query<{ id: string }>(
        'SELECT id FROM org_roles WHERE org_id = $1 AND id = ANY($2::text[])',
        [orgId, ids],
      )
      if (known.length !== ids.length)
        throw new AppError('AUTH_INVALID_ROLE', 400, 'every role must be one of the organisation')
      const token = randomBytes(32).toString('base64url')
      const { rows } = await tx.query<Row>(
        `INSERT INTO org_invitations (id, org_id, email, role_ids, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::int)) RETURNING *`,
        [
          `inv_${randomUUID().replaceAll('-', '')}`,
          orgId,
          address,
          ids,
          sha256(token),
          actor ?? null,
          this.o.ttlS,
        ],
      )
      const days = Math.max(1, Math.round(this.o.ttlS / 86_400))
      await this.o.jobs.addJob(tx, MAIL_QUEUE, {
        task: SEND_MAIL_TASK,
        payload: {
          to: address,
          subject: `You are invited to join ${orgs[0].name}`,
          text:
            `You are invited to join ${orgs[0].name}.\n\n` +
            `To accept, open this link within ${days} day${days === 1 ? '' : 's'}:\n${this.o.linkFor(token)}\n\n` +
            'If you did not expect this mail, ignore it.\n',
        },
      })
      const inv = toInvitation(rows[0]!)
      await this.o.audit.record(
        { event: 'org.invitation_sent', actor, detail: { orgId, invitationId: inv.id, roleIds: ids } },
        tx,
      )
      return inv
    })
  }

  async list(orgId: string): Promise<Invitation[]> {
    await this.o.orgs.get(orgId)
    const { rows } = await this.o.db.query<Row>(
      'SELECT * FROM org_invitations WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 1000',
      [orgId],
    )
    return rows.map(toInvitation)
  }

  async revoke(orgId: string, id: string, actor?: string): Promise<void> {
    const { rowCount } = await this.o.db.query(
      `UPDATE org_invitations SET revoked_at = now()
       WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
      [orgId, id],
    )
    if (rowCount === 0)
      throw new AppError('AUTH_INVITATION_NOT_FOUND', 404, `no pending invitation ${id} in ${orgId}`)
    await this.o.audit.record({ event: 'org.invitation_revoked', actor, detail: { orgId, invitationId: id } })
  }

  /** What a pending link invites to; undefined for a used, revoked, expired or unknown one. */
  async preview(token: string): Promise<InvitationPreview | undefined> {
    const { rows } = await this.o.db.query<{ name: string; email: string; has_account: boolean }>(
      `SELECT o.name, i.email, EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(i.email)) AS has_account
       FROM org_invitations i JOIN organisations o ON o.id = i.org_id
       WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`,
      [sha256(token)],
    )
    const r = rows[0]
    return r && { orgName: r.name, email: r.email, hasAccount: r.has_account }
  }

  /**
   * Accept with a link's token. With no account for the email, `password` makes one (the policy
   * applies: AUTH_INVALID_USER); without it the answer is `password_needed`.
   */
  async accept(token: string, ip: string, password?: string): Promise<AcceptResult> {
    const preview = await this.preview(token)
    if (!preview) return { ok: false, reason: 'invalid' }
    let hash: string | undefined
    if (!preview.hasAccount) {
      if (password === undefined) return { ok: false, reason: 'password_needed' }
      const problem = passwordProblem(password, preview.email)
      if (problem) throw invalidParams('AUTH_INVALID_USER', 400, [{ name: 'password', reason: problem }])
      hash = await this.o.hasher.hash(password)
    }
    return this.o.db
      .tx(async (tx: Queryable) => this.acceptIn(tx, token, ip, hash))
      .catch((err) => {
        // An account for the email was made meanwhile (a sign-up): the page asks again, now to join it.
        if ((err as { code?: string }).code === '23505')
          return { ok: false as const, reason: 'password_needed' as const }
        throw err
      })
  }

  private async acceptIn(
    tx: Queryable,
    token: string,
    ip: string,
    hash: string | undefined,
  ): Promise<AcceptResult> {
    // Locked: two acceptances of one link at once make one membership, one account.
    const { rows } = await tx.query<Row>(
      `SELECT * FROM org_invitations WHERE token_hash = $1 AND accepted_at IS NULL
           AND revoked_at IS NULL AND expires_at > now() FOR UPDATE`,
      [sha256(token)],
    )
    const inv = rows[0]
    if (!inv) return { ok: false as const, reason: 'invalid' as const }
    let created = false
    const { rows: users } = await tx.query<{ id: string; disabled: boolean }>(
      'SELECT id, disabled FROM users WHERE lower(email) = lower($1) FOR UPDATE',
      [inv.email],
    )
    let userId = users[0]?.id
    if (users[0]?.disabled) return { ok: false as const, reason: 'invalid' as const }
    if (!userId) {
      // The account appeared or vanished since the preview: ask again rather than guess.
      if (!hash) return { ok: false as const, reason: 'password_needed' as const }
      userId = randomUUID()
      await tx.query(
        `INSERT INTO users (id, email, password_hash, email_verified) VALUES ($1, $2, $3, true)`,
        [userId, inv.email, hash],
      )
      await this.o.audit.record({ event: 'user.created', userId, ip, detail: { via: 'invitation' } }, tx)
      created = true
    } else {
      await tx.query('UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1', [userId])
    }
    // The invited roles that still exist, added to any the account has there already.
    const { rows: roles } = await tx.query<{ id: string }>(
      `SELECT id FROM org_roles WHERE org_id = $1 AND id = ANY($2::text[])
         UNION SELECT role_id FROM org_member_roles WHERE org_id = $1 AND user_id = $3`,
      [inv.org_id, inv.role_ids, userId],
    )
    await this.o.orgs.setMember(
      inv.org_id,
      userId,
      roles.map((r) => r.id),
      inv.invited_by ?? undefined,
      tx,
    )
    await tx.query('UPDATE org_invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1', [
      inv.id,
      userId,
    ])
    await this.o.audit.record(
      { event: 'org.invitation_accepted', userId, ip, detail: { orgId: inv.org_id, invitationId: inv.id } },
      tx,
    )
    return { ok: true as const, userId, orgId: inv.org_id, created }
  }
}
