/**
 * Accounts: creating users (password policy, argon2id) and checking a login
 * (throttled, constant answer whether or not the email exists, rehash when
 * the hashing parameters changed).
 */
import { randomUUID } from 'node:crypto'
import { AppError, invalidParams } from '../../platform/errors.js'
import type { UserCursor, UserPatch, UserRow, UserStore } from './accounts.store.pg.js'
import type { AuditLog } from './audit.js'
import type { LoginThrottle } from './brute-force.js'
import { type PasswordHasher, passwordProblem } from './passwords.js'

export interface NewUser {
  email: string
  password: string
  name?: string | undefined
  isAdmin?: boolean
  emailVerified?: boolean
}

export type LoginResult =
  | { ok: true; user: UserRow; secondFactor?: 'verify' | 'enrol' | undefined }
  | { ok: false; retryAfterMs: number }

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/

export class Accounts {
  private dummyHash: Promise<string> | undefined

  constructor(
    private readonly store: UserStore,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
    /** What a sign-in still needs after the password (mfa.ts); none when not given. */
    private readonly secondFactor: (u: UserRow) => 'verify' | 'enrol' | undefined = () => undefined,
  ) {}

  byId(id: string): Promise<UserRow | undefined> {
    return this.store.byId(id)
  }

  byEmail(email: string): Promise<UserRow | undefined> {
    return this.store.byEmail(email.trim())
  }

  /** Create a user; AUTH_INVALID_USER (400) for a bad email or password, AUTH_EMAIL_TAKEN (409). */
  async create(u: NewUser, actor?: string): Promise<UserRow> {
    const email = u.email.trim()
    if (!EMAIL.test(email))
      throw invalidParams('AUTH_INVALID_USER', 400, [{ name: 'email', reason: 'is not an email address' }])
    const problem = passwordProblem(u.password, email)
    if (problem) throw invalidParams('AUTH_INVALID_USER', 400, [{ name: 'password', reason: problem }])
    const row = {
      id: randomUUID(),
      email,
      name: u.name,
      passwordHash: await this.hasher.hash(u.password),
      isAdmin: u.isAdmin ?? false,
      emailVerified: u.emailVerified ?? false,
    }
    if (!(await this.store.insert(row)))
      throw new AppError('AUTH_EMAIL_TAKEN', 409, 'an account with this email exists')
    await this.audit.record({ event: 'user.created', userId: row.id, actor, detail: { admin: row.isAdmin } })
    return (await this.store.byId(row.id))!
  }

  /** Change an account; undefined when there is none. */
  update(id: string, patch: UserPatch): Promise<UserRow | undefined> {
    return this.store.update(id, patch)
  }

  /** A page of accounts, oldest first (keyset paging). */
  page(o: { after?: UserCursor | undefined; limit: number; email?: string | undefined }) {
    return this.store.page(o)
  }

  /** Forget the account's failed logins: its lockout ends now (the IP's counters stay). */
  async resetLockout(email: string): Promise<void> {
    await this.throttle.succeeded(email)
  }

  /** Create the user unless the email is taken; true when created. */
  async ensure(u: NewUser): Promise<boolean> {
    if (await this.store.byEmail(u.email.trim())) return false
    try {
      await this.create(u)
      return true
    } catch (err) {
      if (err instanceof AppError && err.code === 'AUTH_EMAIL_TAKEN') return false
      throw err
    }
  }

  /**
   * Check a login. Unknown email, disabled account, wrong password and lockout all answer
   * `ok: false` after the same work (an unknown email is verified against a dummy hash), so the
   * answer tells nothing about whether the email exists.
   */
  async login(
    email: string,
    password: string,
    ip: string,
    clientId?: string,
    /** The client asked for a second factor (acr_values=mfa): an account without one enrols. */
    mfaRequested = false,
  ): Promise<LoginResult> {
    const wait = await this.throttle.waitMs(email, ip)
    if (wait > 0) {
      await this.audit.record({ event: 'login.locked', ip, clientId, detail: { retryAfterMs: wait } })
      return { ok: false, retryAfterMs: wait }
    }
    const user = await this.store.byEmail(email.trim())
    const usable = user && !user.disabled && user.passwordHash ? user : undefined
    this.dummyHash ??= this.hasher.hash(randomUUID())
    const ok = await this.hasher.verify(usable?.passwordHash ?? (await this.dummyHash), password)
    if (!ok || !usable) {
      await this.throttle.failed(email, ip)
      await this.audit.record({ event: 'login.failed', userId: user?.id, ip, clientId })
      return { ok: false, retryAfterMs: 0 }
    }
    if (this.hasher.needsRehash(usable.passwordHash!)) {
      await this.store.setPasswordHash(usable.id, await this.hasher.hash(password))
      await this.audit.record({ event: 'password.rehashed', userId: usable.id })
    }
    await this.throttle.succeeded(email)
    // With a second factor due, the sign-in has not succeeded yet: the MFA step records that.
    const secondFactor = this.secondFactor(usable) ?? (mfaRequested ? 'enrol' : undefined)
    await this.audit.record({
      event: secondFactor ? 'login.password_verified' : 'login.succeeded',
      userId: usable.id,
      ip,
      clientId,
      ...(secondFactor && { detail: { secondFactor } }),
    })
    return { ok: true, user: usable, secondFactor }
  }
}
