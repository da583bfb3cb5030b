/**
 * The variables of a system that accepts access tokens: spread `tokenSettings` into the system's
 * own settings and build its verifier with `verifierFromSettings`. With `AUTH_ISSUER` unset, the
 * issuer is the auth system of this installation when it runs in the same process.
 */
import { bool, int, list, optional, str, url } from '../settings.js'
import { localIssuerUnder } from './local-issuers.js'
import { DEFAULT_ALGORITHMS, TokenVerifier } from './verifier.js'

export const tokenSettings = {
  AUTH_ISSUER: optional(
    url(['http', 'https'], {
      doc: 'issuer whose access tokens the APIs accept (default: the auth system of this process, if it runs)',
    }),
  ),
  AUTH_AUDIENCE: optional(
    str({ maxLength: 500, doc: 'audience access tokens must name (default: PUBLIC_URL)' }),
  ),
  AUTH_JWKS_URI: optional(url(['http', 'https'], { doc: "the issuer's JWKS (default: from its discovery)" })),
  AUTH_ALGORITHMS: list({
    default: [...DEFAULT_ALGORITHMS],
    item: (a) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/.test(a),
    itemDoc: 'an asymmetric JWS algorithm (RS256, PS256, ES256, EdDSA, ...)',
    doc: 'signature algorithms accepted on access tokens',
  }),
  AUTH_CLOCK_TOLERANCE_S: int({
    default: 5,
    min: 0,
    max: 300,
    doc: 'clock skew tolerated on exp and nbf',
  }),
  AUTH_REQUIRE_AT_JWT: bool({
    default: true,
    doc: 'require typ at+jwt (RFC 9068); false for issuers that sign access tokens as plain JWTs',
  }),
  AUTH_JWKS_CACHE_S: int({
    default: 600,
    min: 1,
    max: 86_400,
    doc: 'how long fetched keys are used before they are fetched again (an unknown kid fetches sooner)',
  }),
}

export interface TokenSettingValues {
  AUTH_ISSUER: string | undefined
  AUTH_AUDIENCE: string | undefined
  AUTH_JWKS_URI: string | undefined
  AUTH_ALGORITHMS: string[]
  AUTH_CLOCK_TOLERANCE_S: number
  AUTH_REQUIRE_AT_JWT: boolean
  AUTH_JWKS_CACHE_S: number
}

/** The verifier a system's settings describe; `publicUrl` is the context's (known at listen). */
export function verifierFromSettings(s: TokenSettingValues, publicUrl: () => string): TokenVerifier {
  const base = () => publicUrl().replace(/\/+$/, '')
  return new TokenVerifier({
    issuer: s.AUTH_ISSUER ? s.AUTH_ISSUER : () => localIssuerUnder(base()),
    audience: () => s.AUTH_AUDIENCE ?? base(),
    algorithms: s.AUTH_ALGORITHMS,
    clockToleranceS: s.AUTH_CLOCK_TOLERANCE_S,
    requireAtJwt: s.AUTH_REQUIRE_AT_JWT,
    jwksUri: s.AUTH_JWKS_URI,
    jwksCacheMs: s.AUTH_JWKS_CACHE_S * 1000,
  })
}
