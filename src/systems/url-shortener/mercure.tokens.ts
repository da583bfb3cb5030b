/**
 * Subscriber tokens of the Mercure hub, as Shlink issues them: an HS256 JWT
 * with `iss`, `iat`, `exp` and the claim `mercure: {subscribe: ["*"]}`
 * (shlink-common's LcobucciJwtProvider). `mercure-info` hands one to any
 * client holding an API key; the hub accepts a token signed with the same
 * secret whose `mercure.subscribe` selectors match the update's topic.
 *
 * The secret is URL_SHORTENER_MERCURE_JWT_SECRET when set (to mint tokens
 * elsewhere, or to share one with an external hub), otherwise derived from
 * the installation's code key (`code_key`, 32 random bytes shared by every
 * process), so every process of an installation verifies every other's
 * tokens without another secret to distribute.
 */
import { createHmac } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'

export interface SubscriberClaims {
  /** Topic selectors the token may receive private updates of. */
  subscribe: string[]
}

export class MercureTokenError extends Error {}

/** The secret when none is configured: an HMAC of the installation's code key, for this use only. */
export function derivedSecret(codeKey: Uint8Array): Uint8Array {
  return createHmac('sha256', codeKey).update('url-shortener mercure subscriber tokens').digest()
}

export class MercureTokens {
  private readonly key: Uint8Array

  constructor(
    secret: Uint8Array | string,
    private readonly issuer = 'Shlink',
  ) {
    this.key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  }

  /** A subscriber token for every topic, valid until `expiresAt` (whole seconds, as Shlink rounds). */
  issueSubscriber(expiresAt: Date, subscribe: string[] = ['*']): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ mercure: { subscribe } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt(now)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key)
  }

  /** The claims of a valid token; MercureTokenError when it is malformed, forged or expired. */
  async verify(token: string): Promise<SubscriberClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] })
      const claim = (payload as { mercure?: { subscribe?: unknown } }).mercure?.subscribe
      const subscribe = Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : []
      return { subscribe }
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new MercureTokenError('the token has expired')
      if (err instanceof errors.JOSEError) throw new MercureTokenError('the token is not valid')
      throw new MercureTokenError('the token is not valid')
    }
  }
}
