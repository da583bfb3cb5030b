/** Who a verified access token speaks for, as the routes behind `tokenAuth` see it. */
import type { JWTPayload } from 'jose'

export interface Principal {
  /** `sub`: the user, or the client itself for client credentials. */
  sub: string
  /** `client_id`: the application the token was issued to. */
  clientId: string | undefined
  /** The granted scopes (`scope`, space-separated in the token). */
  scopes: readonly string[]
  /** `roles` of the token (an array, or a space-separated string), empty when absent. */
  roles: readonly string[]
  issuer: string
  /** `exp`, seconds since the epoch. */
  expiresAt: number
  /** Every claim of the token, for what this type does not name (`org_id`, `email`, ...). */
  claims: JWTPayload
}

const words = (v: unknown): string[] =>
  typeof v === 'string'
    ? v.split(' ').filter(Boolean)
    : Array.isArray(v)
      ? v.filter((x): x is string => typeof x === 'string')
      : []

/** The principal of a verified token's claims (`iss`, `sub` and `exp` checked present by the verifier). */
export function principalOf(claims: JWTPayload): Principal {
  return {
    sub: claims.sub!,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
    scopes: words(claims.scope),
    roles: words(claims.roles),
    issuer: claims.iss!,
    expiresAt: claims.exp!,
    claims,
  }
}

/** The scopes of `wanted` that the principal lacks (empty: it has them all). */
export function missingScopes(p: Principal, wanted: readonly string[]): string[] {
  return wanted.filter((s) => !p.scopes.includes(s))
}
