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
}

type Raw = {
  id: string
  email: string
  email_verified: boolean
  name: string | null
  password_hash: string | null
  is_admin: boolean
  disabled: boolean
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
    async setPasswordHash(id, hash) {
      await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, hash])
    },
  }
}
