/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): registration from the account page, and
 * assertions at sign-in, as the first factor (a discoverable credential the browser offers; user
 * verification required, so it is two factors in one) or as the second factor after a password.
 *
 * Each ceremony's challenge is stored under what it is for (`webauthn_challenges`) and taken by
 * the verification, so a response is accepted once. The signature counter is checked here rather
 * than by the library so that a copy of an authenticator (a counter not above the last one seen)
 * is told apart from a bad signature, refused and audited as `passkey.cloned`; the counter is then
 * advanced by a conditional UPDATE, so two concurrent uses of one assertion cannot both pass.
 */
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { AuditLog } from './audit.js'

export interface PasskeyInfo {
  id: string
  name: string
  createdAt: Date
  lastUsedAt: Date | null
}

export type AssertionResult =
  | { ok: true; userId: string; credentialId: string }
  | { ok: false; reason: 'unknown' | 'invalid' | 'cloned' | 'expired' }

interface PasskeyRow {
  id: string
  user_id: string
  public_key: Uint8Array
  counter: string | number
  transports: string[]
}

const CHALLENGE_TTL_S = 600
/** A credential id as WebAuthn encodes it (base64url, at most 1023 bytes). */
export const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1400}$/

export interface PasskeyOptions {
  db: Db
  audit: AuditLog
  /** The issuer: its origin is the expected origin, its host name the relying party id. */
  issuer: () => string
  rpName?: string
}

/** A response as posted by the page, parsed; undefined when it is not JSON of the right shape. */
export function parseResponse<T extends { id: string; response: object }>(text: string): T | undefined {
  try {
    const v = JSON.parse(text) as T
    // A credential id is base64url: anything else (U+0000 among it) never reaches the database.
    return typeof v?.id === 'string' &&
      CREDENTIAL_ID.test(v.id) &&
      typeof v.response === 'object' &&
      v.response
      ? v
      : undefined
  } catch {
    return undefined
  }
}

export class Passkeys {
  constructor(private readonly o: PasskeyOptions) {}

  private rp() {
    const url = new URL(this.o.issuer())
    return { id: url.hostname, origin: url.origin }
  }

  private async saveChallenge(key: string, challenge: string, userId?: string): Promise<void> {
    await this.o.db.query(
      `INSERT INTO webauthn_challenges (key, challenge, user_id, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))
       ON CONFLICT (key) DO UPDATE SET challenge = $2, user_id = $3, expires_at = excluded.expires_at`,
      [key, challenge, userId ?? null, CHALLENGE_TTL_S],
    )
  }

  /** Take the challenge stored under `key` (once). */
  private async takeChallenge(
    key: string,
  ): Promise<{ challenge: string; userId: string | null } | undefined> {
    const { rows } = await this.o.db.query<{ challenge: string; user_id: string | null }>(
      'DELETE FROM webauthn_challenges WHERE key = $1 AND expires_at > now() RETURNING challenge, user_id',
      [key],
    )
    return rows[0] && { challenge: rows[0].challenge, userId: rows[0].user_id }
  }

  /** The account's passkeys, oldest first. */
  async list(userId: string): Promise<PasskeyInfo[]> {
    const { rows } = await this.o.db.query<{
      id: string
      name: string
      created_at: Date
      last_used_at: Date | null
    }>('SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id', [
      userId,
    ])
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }))
  }

  /** Options for registering a new passkey for the account (under `key`); existing ones excluded. */
  async registrationOptions(
    key: string,
    user: { id: string; email: string; name?: string | null },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { rows } = await this.o.db.query<{ id: string; transports: string[] }>(
      'SELECT id, transports FROM passkeys WHERE user_id = $1',
      [user.id],
    )
    const options = await generateRegistrationOptions({
      rpName: this.o.rpName ?? 'Blueprints',
      rpID: this.rp().id,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: rows.map((r) => ({
        id: r.id,
        transports: r.transports as AuthenticatorTransportFuture[],
      })),
      // Discoverable, so it signs in without an email typed; verified, so it is two factors in one.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    await this.saveChallenge(key, options.challenge, user.id)
    return options
  }

  /** Verify a registration answered to the options of `key`; the new passkey's id, or undefined. */
  async register(
    key: string,
    userId: string,
    response: RegistrationResponseJSON,
    name: string,
    ip?: string,
  ): Promise<string | undefined> {
    const stored = await this.takeChallenge(key)
    if (!stored || stored.userId !== userId) return undefined
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: this.rp().origin,
      expectedRPID: this.rp().id,
      requireUserVerification: true,
    }).catch(() => undefined)
    if (!verified?.verified || !verified.registrationInfo) return undefined
    const c = verified.registrationInfo.credential
    return this.o.db.tx(async (tx: Queryable) => {
      const { rowCount } = await tx.query(
        `INSERT INTO passkeys (id, user_id, public_key, counter, transports, name)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [c.id, userId, Buffer.from(c.publicKey), c.counter, c.transports ?? [], name],
      )
      if (rowCount !== 1) return undefined
      // A passkey is a second factor: the account has one from now on.
      await tx.query(
        'UPDATE users SET mfa_enrolled_at = coalesce(mfa_enrolled_at, now()), updated_at = now() WHERE id = $1',
        [userId],
      )
      await this.o.audit.record(
        { event: 'passkey.registered', userId, ip, detail: { credentialId: c.id, name } },
        tx,
      )
      return c.id
    })
  }

  /**
   * Options for a sign-in assertion under `key`: for `userId`'s passkeys (a second factor), or
   * for any discoverable passkey of this site (a first factor) when `userId` is undefined.
   */
  async authenticationOptions(key: string, userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rows = userId
      ? (
          await this.o.db.query<{ id: string; transports: string[] }>(
            'SELECT id, transports FROM passkeys WHERE user_id = $1',
            [userId],
          )
        ).rows
      : []
    const options = await generateAuthenticationOptions({
      rpID: this.rp().id,
      userVerification: 'required',
      allowCredentials: rows.map((r) => ({
        id: r.id,
        transports: r.transports as AuthenticatorTransportFuture[],
      })),
    })
    await this.saveChallenge(key, options.challenge, userId)
    return options
  }

  /** Whether the account has a passkey. */
  async has(userId: string): Promise<boolean> {
    const { rows } = await this.o.db.query('SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1', [userId])
    return rows.length > 0
  }

  /**
   * Verify an assertion answered to the options of `key`. With `expectedUserId` (a second factor),
   * the passkey must be that account's.
   */
  async authenticate(
    key: string,
    response: AuthenticationResponseJSON,
    ctx: { ip?: string; clientId?: string; expectedUserId?: string },
  ): Promise<AssertionResult> {
    const stored = await this.takeChallenge(key)
    if (!stored) return { ok: false, reason: 'expired' }
    const { rows } = await this.o.db.query<PasskeyRow>(
      'SELECT id, user_id, public_key, counter, transports FROM passkeys WHERE id = $1',
      [response.id],
    )
    const row = rows[0]
    if (!row || (ctx.expectedUserId && row.user_id !== ctx.expectedUserId)) {
      await this.o.audit.record({
        event: 'passkey.failed',
        userId: ctx.expectedUserId,
        ip: ctx.ip,
        clientId: ctx.clientId,
        detail: { reason: 'unknown credential' },
      })
      return { ok: false, reason: 'unknown' }
    }
    const storedCounter = Number(row.counter)
    // The counter is checked below (cloned vs invalid): the library is given 0 so it does not throw on it.
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: this.rp().origin,
      expectedRPID: this.rp().id,
      requireUserVerification: true,
      credential: {
        id: row.id,
        publicKey: new Uint8Array(row.public_key),
        counter: 0,
        transports: row.transports as AuthenticatorTransportFuture[],
      },
    }).catch(() => undefined)
    const audit = { userId: row.user_id, ip: ctx.ip, clientId: ctx.clientId }
    if (!verified?.verified) {
      await this.o.audit.record({ event: 'passkey.failed', ...audit, detail: { credentialId: row.id } })
      return { ok: false, reason: 'invalid' }
    }
    const next = verified.authenticationInfo.newCounter
    // A counter that does not move forward: another authenticator holds a copy of this key.
    const { rowCount } = await this.o.db.query(
      `UPDATE passkeys SET counter = $2, last_used_at = now()
       WHERE id = $1 AND (($2::bigint = 0 AND counter = 0) OR counter < $2::bigint)`,
      [row.id, next],
    )
    if (rowCount !== 1) {
      await this.o.audit.record({
        event: 'passkey.cloned',
        ...audit,
        detail: { credentialId: row.id, counter: next, expectedAbove: storedCounter },
      })
      return { ok: false, reason: 'cloned' }
    }
    return { ok: true, userId: row.user_id, credentialId: row.id }
  }

  /** Remove one of the account's passkeys; the account keeps a second factor only if TOTP or another passkey remains. */
  async remove(userId: string, id: string, ip?: string): Promise<boolean> {
    return this.o.db.tx(async (tx: Queryable) => {
      const { rowCount } = await tx.query('DELETE FROM passkeys WHERE user_id = $1 AND id = $2', [userId, id])
      if (rowCount !== 1) return false
      await clearEnrolmentIfNone(tx, userId)
      await this.o.audit.record({ event: 'passkey.removed', userId, ip, detail: { credentialId: id } }, tx)
      return true
    })
  }
}

/** The account has no second factor left (no confirmed TOTP, no passkey): mark it not enrolled. */
export async function clearEnrolmentIfNone(tx: Queryable, userId: string): Promise<void> {
  await tx.query(
    `UPDATE users SET mfa_enrolled_at = NULL, updated_at = now() WHERE id = $1
       AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)
       AND NOT EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)`,
    [userId],
  )
}
