/**
 * Signing keys in the database, and their rotation. At any time there is one
 * 'current' key (signs), one 'next' key (published, not signing: verifiers'
 * JWKS caches learn it before it signs) and retired keys (published until
 * every token they signed has expired). Rotation promotes next -> current,
 * current -> retired, and makes a new next. Every process rereads the set
 * every AUTH_KEYS_REFRESH_MS, so a rotation made by one applies to all.
 */
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import type { Db, Queryable } from '../../platform/db/port.js'
import { AppError } from '../../platform/errors.js'

const ALG = 'RS256'

export type KeyState = 'next' | 'current' | 'retired'

export interface SigningKey {
  kid: string
  alg: string
  state: KeyState
  createdAt: Date
  activatedAt: Date | null
  publishUntil: Date | null
  privateJwk: JWK
}

/** What the provider is built from: private JWKs, the signing one first (oidc-provider signs with the first match). */
export interface KeySet {
  /** Changes whenever the published set or the signing key changes. */
  version: string
  keys: JWK[]
  currentKid: string
}

export interface KeyPolicy {
  /** The next key must have been published this long before it may sign. */
  publishLeadS: number
  /** How long a retired key stays published: the longest lifetime of a token it may have signed, plus skew. */
  retiredPublishS: number
}

interface KeyRow {
  kid: string
  alg: string
  state: KeyState
  private_jwk: JWK
  created_at: Date
  activated_at: Date | null
  publish_until: Date | null
}

async function newKey(kid = randomUUID()): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true, modulusLength: 2048 })
  const jwk = await exportJWK(privateKey)
  return { kid, jwk: { ...jwk, kid, alg: ALG, use: 'sig' } }
}

function toKey(r: KeyRow): SigningKey {
  return {
    kid: r.kid,
    alg: r.alg,
    state: r.state,
    createdAt: new Date(r.created_at),
    activatedAt: r.activated_at && new Date(r.activated_at),
    publishUntil: r.publish_until && new Date(r.publish_until),
    privateJwk: r.private_jwk,
  }
}

/** The advisory lock key of rotations (any constant distinct from the other systems' keys). */
const KEYS_LOCK = 0x61757468_01

export interface Rotation {
  retired: string
  current: string
  next: string
}

const ORDER = `CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC`

export class SigningKeys {
  constructor(
    private readonly db: Db,
    private readonly policy: KeyPolicy,
  ) {}

  /** Make the first current and next keys when there are none (first start; safe when processes race). */
  async ensure(): Promise<void> {
    for (const state of ['current', 'next'] as const) {
      const { rows } = await this.db.query('SELECT 1 FROM signing_keys WHERE state = $1', [state])
      if (rows.length > 0) continue
      const { kid, jwk } = await newKey()
      await this.db.query(
        `INSERT INTO signing_keys (kid, alg, private_jwk, state, activated_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'current' THEN now() END)
         ON CONFLICT (state) WHERE state IN ('current', 'next') DO NOTHING`,
        [kid, ALG, JSON.stringify(jwk), state],
      )
    }
  }

  /** Every key, published or not yet deleted, signing key first. */
  async list(): Promise<SigningKey[]> {
    const { rows } = await this.db.query<KeyRow>(`SELECT * FROM signing_keys ORDER BY ${ORDER}`)
    return rows.map(toKey)
  }

  /** The published set, as the provider needs it. */
  async load(): Promise<KeySet> {
    const { rows } = await this.db.query<KeyRow>(
      `SELECT * FROM signing_keys WHERE state <> 'retired' OR publish_until > now() ORDER BY ${ORDER}`,
    )
    const current = rows.find((r) => r.state === 'current')
    if (!current) throw new Error('no current signing key (SigningKeys.ensure was not run)')
    return {
      version: rows.map((r) => `${r.kid}:${r.state}`).join(','),
      keys: rows.map((r) => r.private_jwk),
      currentKid: current.kid,
    }
  }

  /**
   * Rotate: the next key signs from now on, the current one retires (published for
   * `retiredPublishS` more), a new next key is published. AUTH_KEY_NEXT_TOO_NEW (409) while the
   * next key has been published for less than the lead time, unless `force` (a leaked key).
   */
  async rotate(opts: { force?: boolean; ifOlderThanS?: number } = {}): Promise<Rotation | undefined> {
    const fresh = await newKey()
    // Under a lock taken before the transaction: two processes whose schedules fire together
    // rotate once (the second sees the first's keys and finds the rotation no longer due).
    return this.db.exclusive(KEYS_LOCK, async (tx: Queryable) => {
      const { rows } = await tx.query<KeyRow & { age_s: number; active_s: number | null }>(
        `SELECT *, extract(epoch FROM now() - created_at)::float8 AS age_s,
           extract(epoch FROM now() - activated_at)::float8 AS active_s
         FROM signing_keys WHERE state IN ('current', 'next')`,
      )
      const current = rows.find((r) => r.state === 'current')
      const next = rows.find((r) => r.state === 'next')
      if (!current || !next) throw new Error('signing keys missing (SigningKeys.ensure was not run)')
      if (opts.ifOlderThanS !== undefined && (current.active_s ?? 0) < opts.ifOlderThanS) return undefined
      if (!opts.force && next.age_s < this.policy.publishLeadS)
        throw new AppError(
          'AUTH_KEY_NEXT_TOO_NEW',
          409,
          `the next key has been published for ${Math.floor(next.age_s)} s, less than the ${this.policy.publishLeadS} s verifiers may cache the JWKS; retry later or force`,
        )
      await tx.query(
        `UPDATE signing_keys SET state = 'retired', retired_at = now(),
           publish_until = now() + make_interval(secs => $2::int) WHERE kid = $1`,
        [current.kid, this.policy.retiredPublishS],
      )
      await tx.query(`UPDATE signing_keys SET state = 'current', activated_at = now() WHERE kid = $1`, [
        next.kid,
      ])
      await tx.query(`INSERT INTO signing_keys (kid, alg, private_jwk, state) VALUES ($1, $2, $3, 'next')`, [
        fresh.kid,
        ALG,
        JSON.stringify(fresh.jwk),
      ])
      return { retired: current.kid, current: next.kid, next: fresh.kid }
    })
  }

  /** Delete retired keys no longer published; returns their kids. */
  async deleteExpired(): Promise<string[]> {
    const { rows } = await this.db.query<{ kid: string }>(
      `DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= now() RETURNING kid`,
    )
    return rows.map((r) => r.kid)
  }
}
