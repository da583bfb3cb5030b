/** The `users` table. */
import type { Queryable } from '../../platform/db/port.js'

export interface UserRow {
  id: string
  email: string
  emailVerified: boolean
  name: string | null
  passwordHash: string | null
  isAdmin: boolean
  disabled: boolean
  /** An administrator requires a second factor of this account. */
  mfaRequired: boolean
  /** When the account's TOTP authenticator was confirmed (null: no second factor). */
  mfaEnrolledAt: Date | null
  createdAt: Date
}

export interface NewUserRow {
  id: string
  email: string
  name?: string | undefined
  passwordHash: string
  isAdmin: boolean
  emailVerified: boolean
}

export interface UserStore {
  byId(id: string): Promise<UserRow | undefined>
  byEmail(email: string): Promise<UserRow | undefined>
  /** false when the email is taken (nothing written). */
  insert(u: NewUserRow): Promise<boolean>
  setPasswordHash(id: string, hash: string): Promise<void>
  /** Change the given fields; the row after, or undefined when there is no such user. */
  update(id: string, patch: UserPatch): Promise<UserRow | undefined>
  /** Users oldest first, after the keyset position `after`, `email` a case-insensitive prefix filter. */
  page(o: {
    after?: UserCursor | undefined
    limit: number
    email?: string | undefined
  }): Promise<{ user: UserRow; cursor: UserCursor }[]>
}

/** A keyset position: created_at in microseconds since the epoch (as text: exact), and the id. */
export interface UserCursor {
  createdUs: string
  id: string
}

export interface UserPatch {
  name?: string | null
  isAdmin?: boolean
  disabled?: boolean
  emailVerified?: boolean
  mfaRequired?: boolean
}

type Raw = {
  id: string
  email: string
  email_verified: boolean
  name: string | null
  password_hash: string | null
  is_admin: boolean
  disabled: boolean
  mfa_required: boolean
  mfa_enrolled_at: Date | null
  created_at: Date
}

function toUser(r: Raw): UserRow {
  return {
    id: r.id,
    email: r.email,
    emailVerified: r.email_verified,
    name: r.name,
    passwordHash: r.password_hash,
    isAdmin: r.is_admin,
    disabled: r.disabled,
    mfaRequired: r.mfa_required,
    mfaEnrolledAt: r.mfa_enrolled_at ? new Date(r.mfa_enrolled_at) : null,
    createdAt: new Date(r.created_at),
  }
}

export function createUserStore(db: Queryable): UserStore {
  return {
    async byId(id) {
      const { rows } = await db.query<Raw>('SELECT * FROM users WHERE id = $1', [id])
      return rows[0] && toUser(rows[0])
    },
    async byEmail(email) {
      const { rows } = await db.query<Raw>('SELECT * FROM users WHERE lower(email) = lower($1)', [email])
      return rows[0] && toUser(rows[0])
    },
    async insert(u) {
      const { rowCount } = await db.query(
        `INSERT INTO users (id, email, name, password_hash, is_admin, email_verified)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [u.id, u.email, u.name ?? null, u.passwordHash, u.isAdmin, u.emailVerified],
      )
      return rowCount === 1
    },
    async update(id, patch) {
      const { rows } = await db.query<Raw>(
        `UPDATE users SET name = CASE WHEN $2 THEN $3 ELSE name END, is_admin = coalesce($4, is_admin),
           disabled = coalesce($5, disabled), email_verified = coalesce($6, email_verified),
           mfa_required = coalesce($7, mfa_required), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [
          id,
          patch.name !== undefined,
          patch.name ?? null,
          patch.isAdmin ?? null,
          patch.disabled ?? null,
          patch.emailVerified ?? null,
          patch.mfaRequired ?? null,
        ],
      )
      return rows[0] && toUser(rows[0])
    },
    async page(o) {
      // Keyset paging on (created_at, id): stable under inserts, one index range per page.
      // created_at travels in microseconds: a JavaScript Date would cut it to milliseconds, and the
      // next page would repeat the rows of the same millisecond.
      const { rows } = await db.query<Raw & { created_us: string }>(
        `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM users
         WHERE ($1::bigint IS NULL
             OR (created_at, id) > (timestamptz 'epoch' + $1::bigint * interval '1 microsecond', $2::text))
           AND ($3::text IS NULL OR lower(email) LIKE $3)
         ORDER BY created_at, id LIMIT $4`,
        [
          o.after?.createdUs ?? null,
          o.after?.id ?? null,
          o.email === undefined ? null : `${o.email.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
          o.limit,
        ],
      )
      return rows.map((r) => ({ user: toUser(r), cursor: { createdUs: r.created_us, id: r.id } }))
    },
    async setPasswordHash(id, hash) {
      await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, hash])
    },
  }
}
