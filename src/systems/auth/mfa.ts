/**
 * The second factor: a TOTP authenticator (RFC 6238) per account and ten single-use recovery
 * codes. A sign-in whose password was right but whose second factor is due is remembered by its
 * interaction (`mfa_pending`); the login pages only hand the interaction back to oidc-provider
 * after `verify` (or an enrolment) succeeds, so a password alone never finishes a sign-in.
 *
 * Each code works once: a TOTP code is accepted only for a time step after the last accepted one
 * (one conditional UPDATE, so two concurrent submissions of one code cannot both pass), and a
 * recovery code is marked used by the UPDATE that accepts it. Wrong codes count against the
 * account and the IP in the same tiered lockout as passwords (`brute-force.ts`), with counters of
 * their own that a right password does not clear.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { UserRow } from './accounts.store.pg.js'
import type { AuditLog } from './audit.js'
import type { LoginThrottle } from './brute-force.js'
import { clearEnrolmentIfNone } from './passkeys.js'
import { base32Encode, matchStep, newTotpSecret } from './totp.js'

export type MfaStage = 'verify' | 'enrol' | 'enrolled'

export interface MfaOptions {
  db: Db
  audit: AuditLog
  /** Counts wrong codes (its own counters, not the password's). */
  throttle: LoginThrottle
  /** Every account must have a second factor (AUTH_MFA_REQUIRED). */
  requiredForAll: boolean
  /** How long a sign-in may wait between its password and its second factor. */
  pendingTtlS?: number
  now?: () => number
  /** Each code checked (metrics): the step, and whether it passed, was wrong, or was locked out. */
  onCheck?: (step: 'verify' | 'enrol', result: 'ok' | 'wrong' | 'locked') => void
}

export type CodeResult = { ok: true; method: 'totp' | 'recovery' } | { ok: false; retryAfterMs: number }

export const RECOVERY_CODES = 10
const RECOVERY_FORMAT = /^[A-Z2-7]{5}-?[A-Z2-7]{5}$/

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
/** A recovery code as typed: case and the dash do not matter. */
const normalRecovery = (code: string) => code.trim().toUpperCase().replace('-', '')

/** Ten fresh recovery codes (50 random bits each, `XXXXX-XXXXX`). */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const c = base32Encode(randomBytes(7)).slice(0, 10)
    return `${c.slice(0, 5)}-${c.slice(5)}`
  })
}

export class Mfa {
  private readonly now: () => number

  constructor(private readonly o: MfaOptions) {
    this.now = o.now ?? Date.now
  }

  /** What a sign-in of `user` still needs after its password: a code, an enrolment, or nothing. */
  dueFor(user: UserRow): 'verify' | 'enrol' | undefined {
    if (user.mfaEnrolledAt) return 'verify'
    if (user.mfaRequired || this.o.requiredForAll) return 'enrol'
    return undefined
  }

  /** Remember that interaction `uid`'s password step passed for `userId`. */
  async begin(uid: string, userId: string, stage: 'verify' | 'enrol'): Promise<void> {
    await this.o.db.query(
      `INSERT INTO mfa_pending (interaction_uid, user_id, stage, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))
       ON CONFLICT (interaction_uid) DO UPDATE SET user_id = $2, stage = $3, expires_at = excluded.expires_at`,
      [uid, userId, stage, this.o.pendingTtlS ?? 600],
    )
  }

  /** The second-factor step interaction `uid` is at, if its password step passed. */
  async pending(uid: string): Promise<{ userId: string; stage: MfaStage } | undefined> {
    const { rows } = await this.o.db.query<{ user_id: string; stage: MfaStage }>(
      'SELECT user_id, stage FROM mfa_pending WHERE interaction_uid = $1 AND expires_at > now()',
      [uid],
    )
    return rows[0] && { userId: rows[0].user_id, stage: rows[0].stage }
  }

  /** The sign-in is finished (or abandoned): forget its pending step. */
  async finish(uid: string): Promise<void> {
    await this.o.db.query('DELETE FROM mfa_pending WHERE interaction_uid = $1 OR expires_at < now()', [uid])
  }

  /**
   * The secret an enrolment shows: the account's unconfirmed one (a reloaded page shows the same),
   * or a new one. undefined when the account already has a confirmed authenticator.
   */
  async enrolmentSecret(userId: string): Promise<string | undefined> {
    await this.o.db.query(
      'INSERT INTO mfa_totp (user_id, secret) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING',
      [userId, newTotpSecret()],
    )
    const { rows } = await this.o.db.query<{ secret: string }>(
      'SELECT secret FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL',
      [userId],
    )
    return rows[0]?.secret
  }

  /**
   * Confirm the enrolment of interaction `uid` with a first code from the app: the authenticator
   * is then the account's, and the ten recovery codes (returned here only) replace any earlier.
   */
  async confirmEnrolment(
    uid: string,
    userId: string,
    code: string,
    ip: string,
  ): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; retryAfterMs: number }> {
    const wait = await this.o.throttle.waitMs(userId, ip)
    if (wait > 0) return this.locked(userId, ip, wait, 'enrol')
    const recoveryCodes = newRecoveryCodes()
    const ok = await this.o.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ secret: string }>(
        'SELECT secret FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL FOR UPDATE',
        [userId],
      )
      const step = rows[0] && matchStep(rows[0].secret, code.trim(), this.now())
      if (step === undefined) return false
      await tx.query('UPDATE mfa_totp SET confirmed_at = now(), last_step = $2 WHERE user_id = $1', [
        userId,
        step,
      ])
      await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId])
      await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [
        userId,
        recoveryCodes.map((c) => sha256(normalRecovery(c))),
      ])
      await tx.query('UPDATE users SET mfa_enrolled_at = now(), updated_at = now() WHERE id = $1', [userId])
      await tx.query(`UPDATE mfa_pending SET stage = 'enrolled' WHERE interaction_uid = $1`, [uid])
      await this.o.audit.record({ event: 'mfa.enrolled', userId, ip, detail: { method: 'totp' } }, tx)
      return true
    })
    if (!ok) return this.failed(userId, ip, 'enrolment')
    await this.o.throttle.succeeded(userId)
    this.o.onCheck?.('enrol', 'ok')
    return { ok: true, recoveryCodes }
  }

  /** Check a second factor: a TOTP code, or a recovery code (each good once). */
  async verify(userId: string, code: string, ip: string, clientId?: string): Promise<CodeResult> {
    const wait = await this.o.throttle.waitMs(userId, ip)
    if (wait > 0) return this.locked(userId, ip, wait, 'verify')
    const typed = code.trim()
    let method: 'totp' | 'recovery' | undefined
    if (/^\d{6}$/.test(typed)) {
      const { rows } = await this.o.db.query<{ secret: string }>(
        'SELECT secret FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
        [userId],
      )
      const step = rows[0] && matchStep(rows[0].secret, typed, this.now())
      // Accepted only if its step is after the last accepted one: a replayed code is refused.
      if (step !== undefined) {
        const { rowCount } = await this.o.db.query(
          'UPDATE mfa_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2',
          [userId, step],
        )
        if (rowCount === 1) method = 'totp'
      }
    } else if (RECOVERY_FORMAT.test(typed.toUpperCase())) {
      const { rowCount } = await this.o.db.query(
        `UPDATE mfa_recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
        [userId, sha256(normalRecovery(typed))],
      )
      if (rowCount === 1) method = 'recovery'
    }
    if (!method) return this.failed(userId, ip, 'verify', clientId)
    await this.o.throttle.succeeded(userId)
    if (method === 'recovery') {
      const { rows } = await this.o.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
        [userId],
      )
      await this.o.audit.record({
        event: 'mfa.recovery_code_used',
        userId,
        ip,
        clientId,
        detail: { remaining: rows[0]?.n ?? 0 },
      })
    }
    await this.o.audit.record({ event: 'mfa.verified', userId, ip, clientId, detail: { method } })
    this.o.onCheck?.('verify', 'ok')
    return { ok: true, method }
  }

  /** Remove the account's second factors, TOTP and passkeys (an administrator's reset, e.g. a lost phone). */
  async reset(userId: string, actor?: string): Promise<boolean> {
    return this.o.db.tx(async (tx: Queryable) => {
      const { rows } = await tx.query<{ confirmed: boolean }>(
        'DELETE FROM mfa_totp WHERE user_id = $1 RETURNING confirmed_at IS NOT NULL AS confirmed',
        [userId],
      )
      const passkeys = await tx.query('DELETE FROM passkeys WHERE user_id = $1', [userId])
      const removed = rows[0]?.confirmed === true || passkeys.rowCount > 0
      await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId])
      await tx.query('DELETE FROM mfa_pending WHERE user_id = $1', [userId])
      await tx.query('UPDATE users SET mfa_enrolled_at = NULL, updated_at = now() WHERE id = $1', [userId])
      if (removed) await this.o.audit.record({ event: 'mfa.reset', userId, actor }, tx)
      return removed
    })
  }

  /** Remove the account's authenticator app (the account page); recovery codes stay while a passkey does. */
  async removeTotp(userId: string, ip?: string): Promise<boolean> {
    return this.o.db.tx(async (tx: Queryable) => {
      const { rowCount } = await tx.query(
        'DELETE FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
        [userId],
      )
      if (rowCount !== 1) return false
      await clearEnrolmentIfNone(tx, userId)
      const { rows } = await tx.query<{ on: boolean }>(
        'SELECT mfa_enrolled_at IS NOT NULL AS on FROM users WHERE id = $1',
        [userId],
      )
      if (!rows[0]?.on) await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId])
      await this.o.audit.record({ event: 'mfa.totp_removed', userId, ip }, tx)
      return true
    })
  }

  /** Ten new recovery codes for the account (returned only here); the earlier ones stop working. */
  async renewRecoveryCodes(userId: string, ip?: string): Promise<string[]> {
    const codes = newRecoveryCodes()
    await this.o.db.tx(async (tx: Queryable) => {
      await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId])
      await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [
        userId,
        codes.map((c) => sha256(normalRecovery(c))),
      ])
      await this.o.audit.record({ event: 'mfa.recovery_codes_renewed', userId, ip }, tx)
    })
    return codes
  }

  /** Whether the account has a confirmed authenticator app. */
  async hasTotp(userId: string): Promise<boolean> {
    const { rows } = await this.o.db.query(
      'SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
      [userId],
    )
    return rows.length > 0
  }

  /** Unused recovery codes left to the account. */
  async recoveryCodesLeft(userId: string): Promise<number> {
    const { rows } = await this.o.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    )
    return rows[0]?.n ?? 0
  }

  /** Forget second-factor steps whose sign-in was abandoned (the sweeper). */
  async sweep(): Promise<number> {
    const { rowCount } = await this.o.db.query('DELETE FROM mfa_pending WHERE expires_at < now()')
    return rowCount
  }

  private async failed(userId: string, ip: string, step: 'enrolment' | 'verify', clientId?: string) {
    this.o.onCheck?.(step === 'verify' ? 'verify' : 'enrol', 'wrong')
    await this.o.throttle.failed(userId, ip)
    await this.o.audit.record({ event: 'mfa.failed', userId, ip, clientId, detail: { step } })
    return { ok: false as const, retryAfterMs: 0 }
  }

  private async locked(userId: string, ip: string, wait: number, step: 'verify' | 'enrol') {
    this.o.onCheck?.(step, 'locked')
    await this.o.audit.record({ event: 'mfa.locked', userId, ip, detail: { retryAfterMs: wait } })
    return { ok: false as const, retryAfterMs: wait }
  }
}
