/**
 * Subscriber tokens: what an app hands its signed-in user so the browser reads that user's inbox
 * (REST and the live stream) without the admin token. `nsub.<subscriberId>.<expiry ms>.<HMAC>`,
 * signed with NOTIFICATIONS_SIGNING_SECRET (or a secret generated once and kept in the keys table).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from '../../platform/db/port.js'
import { AppError } from '../../platform/errors.js'
import type { Principal } from '../../platform/live/index.js'

export class SubscriberTokens {
  constructor(private readonly secret: string) {}

  /** The configured secret, or the one kept in the database (made at first start). */
  static async open(db: Queryable, configured: string | undefined): Promise<SubscriberTokens> {
    if (configured) return new SubscriberTokens(configured)
    await db.query(
      `INSERT INTO keys (name, value) VALUES ('token-secret', $1) ON CONFLICT (name) DO NOTHING`,
      [randomBytes(32).toString('base64url')],
    )
    const { rows } = await db.query<{ value: string }>(`SELECT value FROM keys WHERE name = 'token-secret'`)
    return new SubscriberTokens(rows[0]!.value)
  }

  private mac(body: string) {
    return createHmac('sha256', this.secret).update(body).digest('base64url')
  }

  issue(subscriber: string, ttlMs: number): { token: string; expiresAt: string } {
    const exp = Date.now() + ttlMs
    const body = `nsub.${subscriber}.${exp}`
    return { token: `${body}.${this.mac(body)}`, expiresAt: new Date(exp).toISOString() }
  }

  /** The principal of a valid token; undefined for anything else. */
  verify(token: string): Principal | undefined {
    const m = /^nsub\.([A-Za-z0-9_-]{1,64})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token)
    if (!m) return undefined
    const [, subscriber, exp, mac] = m as unknown as [string, string, string, string]
    const want = Buffer.from(this.mac(`nsub.${subscriber}.${exp}`))
    const got = Buffer.from(mac)
    if (want.length !== got.length || !timingSafeEqual(want, got) || Number(exp) <= Date.now())
      return undefined
    return { user: subscriber, expiresAt: Number(exp), issuedAt: undefined, jti: undefined }
  }

  /** The live endpoint's check: a 401 AppError for a token that is not ours. */
  check = async (token: string): Promise<Principal> => {
    const p = this.verify(token)
    if (!p) throw new AppError('NOTIFICATIONS_UNAUTHORIZED', 401, 'not a valid subscriber token')
    return p
  }
}
