/**
 * Secret keys in Stripe's test format (`sk_test_` and at least 24 letters or digits), stored as
 * SHA-256 digests with the account they belong to. Requests authenticate the way stripe-node
 * does (`Authorization: Bearer sk_test_...`) or with HTTP Basic (the key as the user name, as
 * `curl -u sk_test_...:` sends it).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../../platform/db/port.js'
import { StripeErrors } from './errors.js'

export const KEY_PATTERN = /^sk_test_[A-Za-z0-9]{24,99}$/

const digest = (key: string) => createHash('sha256').update(key).digest('hex')

/** A new random secret key. */
export function generateKey(): string {
  return `sk_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, '0')}`
}

/** The key sent with a request: Bearer, or Basic with the key as the user name. */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined
  const bearer = /^Bearer +(\S+) *$/i.exec(header)
  if (bearer) return bearer[1]
  const basic = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header)
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0]
  return undefined
}

export class SecretKeys {
  /** Keys seen valid in this process (keys are never revoked, so this cannot go stale). */
  private readonly known = new Map<string, string>()

  constructor(private readonly db: Db) {}

  /** Store `key` for `account` (the account derived from the key when not given); idempotent. */
  async add(key: string, account?: string): Promise<string> {
    if (!KEY_PATTERN.test(key))
      throw new Error('a secret key is sk_test_ followed by 24 to 99 letters or digits')
    const acct = account ?? `acct_${digest(`account:${key}`).slice(0, 16)}`
    await this.db.query(
      'INSERT INTO stripe_keys (hash, account_id, last4) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING',
      [digest(key), acct, key.slice(-4)],
    )
    return acct
  }

  /** The account of the request's key, or Stripe's 401. */
  async authenticate(header: string | undefined): Promise<string> {
    const key = keyFromHeader(header)
    if (!key) throw StripeErrors.missingKey()
    const hash = digest(key)
    const cached = this.known.get(hash)
    if (cached) return cached
    const { rows } = await this.db.query<{ account_id: string }>(
      'SELECT account_id FROM stripe_keys WHERE hash = $1',
      [hash],
    )
    if (!rows[0]) throw StripeErrors.invalidKey(key)
    if (this.known.size > 10_000) this.known.clear()
    this.known.set(hash, rows[0].account_id)
    return rows[0].account_id
  }
}
