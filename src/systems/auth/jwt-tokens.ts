/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of JWT access tokens.
 * oidc-provider answers both for opaque tokens only (a JWT gets
 * `unsupported_token_type`). Access tokens here are JWTs, so after the
 * provider has authenticated the client and refused the JWT, this
 * middleware answers instead: introspection verifies the signature, issuer
 * and expiry and looks the token up in `revoked_jwts`; revocation lists the
 * token's `jti` there until the token would have expired.
 */
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { Queryable } from '../../platform/db/port.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

/** The public half of private JWKs (what the JWKS endpoint publishes). */
export function publicJwks(keys: readonly JWK[]): { keys: JWK[] } {
  return {
    keys: keys.map((k) =>
      Object.fromEntries(Object.entries(k).filter(([m]) => !PRIVATE_MEMBERS.includes(m))),
    ),
  }
}

export class JwtAccessTokens {
  constructor(private readonly db: Queryable) {}

  /** Verify one of our access tokens; undefined when it is not one (bad signature, issuer, type, expired). */
  async verify(token: string, issuer: string, keys: readonly JWK[]): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(publicJwks(keys)), {
        issuer,
        typ: 'at+jwt',
        clockTolerance: 5,
      })
      return payload
    } catch {
      return undefined
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM revoked_jwts WHERE jti = $1', [jti])
    return rows.length > 0
  }

  async revoke(jti: string, exp: number): Promise<void> {
    await this.db.query(
      'INSERT INTO revoked_jwts (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING',
      [jti, exp],
    )
  }

  /** The Koa middleware put in front of the provider's routes. */
  middleware(keys: () => readonly JWK[]) {
    return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
      await next()
      const route = ctx.oidc?.route
      if (route !== 'introspection' && route !== 'revocation') return
      const body = ctx.body as { error?: string } | undefined
      // Only after the provider authenticated the client and refused the token as a JWT.
      if (ctx.status !== 400 || body?.error !== 'unsupported_token_type' || !ctx.oidc.client) return
      const client = ctx.oidc.client
      const token = String(ctx.oidc.params?.token ?? '')
      const claims = await this.verify(token, ctx.oidc.provider.issuer, keys())
      const own = claims?.client_id === client.clientId
      ctx.status = 200
      if (route === 'introspection') {
        // A public client may introspect only its own tokens; a confidential one (a resource server) any.
        const allowed = claims?.jti && (own || client.clientAuthMethod !== 'none')
        const active = allowed && !(await this.isRevoked(claims.jti!))
        ctx.body = active ? { ...claims, active: true, token_type: 'Bearer' } : { active: false }
        return
      }
      // Revocation answers 200 for a token it does not know (RFC 7009 section 2.2).
      if (claims?.jti && claims.exp && own) await this.revoke(claims.jti, claims.exp)
      else if (claims && !own && client.clientAuthMethod !== 'none') {
        ctx.status = 400
        ctx.body = {
          error: 'invalid_request',
          error_description: 'client is not authorized to revoke the presented token',
        }
        return
      }
      ctx.body = ''
    }
  }
}
