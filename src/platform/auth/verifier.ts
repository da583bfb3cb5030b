/**
 * Verifying access tokens offline (RFC 9068 JWT profile): signature by the issuer's published
 * keys, algorithm from an allow-list (never `none`, never a symmetric one: an RSA public key used
 * as an HMAC secret is the classic confusion), `typ: at+jwt`, issuer, audience, expiry and
 * not-before with a small clock tolerance. A bad token is a result, not a thrown error.
 */
import { type JWTVerifyGetKey, jwtVerify } from 'jose'
import { ConfigError } from '../settings.js'
import { IssuerUnavailable, localKeys, remoteKeys } from './key-source.js'
import { findLocalIssuer } from './local-issuers.js'
import { type Principal, principalOf } from './principal.js'

/** Asymmetric algorithms only; what `AUTH_ALGORITHMS` defaults to. */
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const
const REFUSED_ALGORITHMS = /^(none|HS\d+)$/i
/** A longer bearer token is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 8192

export interface VerifierOptions {
  /** The issuer whose tokens are accepted; a function when it becomes known late (at listen). */
  issuer: string | (() => string | undefined)
  /** The audience (`aud`) tokens must name, one of these when several. */
  audience: string | readonly string[] | (() => string | readonly string[])
  algorithms?: readonly string[]
  /** Tolerance on exp/nbf/iat, seconds (default 5). */
  clockToleranceS?: number
  /** Require `typ: at+jwt` (RFC 9068); default true. Issuers that sign plain JWTs need false. */
  requireAtJwt?: boolean
  /** The issuer's JWKS URL when discovery should be skipped. */
  jwksUri?: string | undefined
  /** Use the keys of an issuer running in this process without HTTP (default true). */
  local?: boolean
  jwksCacheMs?: number
  jwksCooldownMs?: number
  fetchTimeoutMs?: number
}

export type VerifyResult =
  | { ok: true; principal: Principal }
  /** `invalid_token` (401): the token is not good here; `unavailable` (503): the keys could not be had. */
  | { ok: false; error: 'invalid_token' | 'unavailable'; description: string }

/** jose's error codes, as the reason a client is told (RFC 6750 `error_description`). */
function describe(err: unknown): string {
  const e = err as { code?: string; claim?: string; reason?: string }
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return 'the token is not valid yet'
      if (e.reason === 'missing') return `the token has no ${e.claim} claim`
      return `the token's ${e.claim} is not accepted here`
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm not accepted here'
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'the token is signed by a key the issuer does not publish'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid'
    default:
      return 'the token is malformed'
  }
}

export class TokenVerifier {
  private readonly algorithms: string[]
  private readonly sources = new Map<string, JWTVerifyGetKey>()
  private readonly issuerOf: () => string | undefined

  constructor(private readonly o: VerifierOptions) {
    this.algorithms = [...(o.algorithms ?? DEFAULT_ALGORITHMS)]
    const refused = this.algorithms.filter((a) => REFUSED_ALGORITHMS.test(a))
    if (refused.length > 0 || this.algorithms.length === 0)
      throw new ConfigError(
        `token algorithms must be asymmetric signature algorithms; refused: ${refused.join(', ') || '(empty list)'}`,
      )
    const issuer = o.issuer
    this.issuerOf = typeof issuer === 'function' ? issuer : () => issuer
  }

  /** The issuer tokens must come from now (undefined: none configured or running yet). */
  issuer(): string | undefined {
    return this.issuerOf()
  }

  /** The remote key source of `issuer`, made once. */
  private remoteFor(issuer: string): JWTVerifyGetKey {
    let source = this.sources.get(issuer)
    if (!source) {
      source = remoteKeys({
        issuer,
        jwksUri: this.o.jwksUri,
        cacheMaxAgeMs: this.o.jwksCacheMs ?? 600_000,
        cooldownMs: this.o.jwksCooldownMs ?? 30_000,
        timeoutMs: this.o.fetchTimeoutMs ?? 5_000,
      })
      this.sources.set(issuer, source)
    }
    return source
  }

  private readonly localSources = new WeakMap<object, JWTVerifyGetKey>()

  /**
   * The keys of `issuer`: in memory when it runs in this process (looked up at each call: it may
   * register after this verifier was made, or stop), else over HTTP.
   */
  private sourceFor(issuer: string): JWTVerifyGetKey {
    if (this.o.local === false || this.o.jwksUri) return this.remoteFor(issuer)
    const local = findLocalIssuer(issuer)
    if (!local) return this.remoteFor(issuer)
    let s = this.localSources.get(local)
    if (!s) {
      s = localKeys(local, this.o.jwksCooldownMs ?? 30_000)
      this.localSources.set(local, s)
    }
    return s
  }

  /** Verify a bearer token; the principal it speaks for, or why it is refused. */
  async verify(token: string): Promise<VerifyResult> {
    const issuer = this.issuerOf()
    if (!issuer) return { ok: false, error: 'unavailable', description: 'no token issuer is configured' }
    if (token.length > MAX_TOKEN_LENGTH)
      return { ok: false, error: 'invalid_token', description: 'the token is too long' }
    const a = this.o.audience
    const audience = typeof a === 'function' ? a() : a
    try {
      const { payload } = await jwtVerify(token, this.sourceFor(issuer), {
        issuer,
        audience: typeof audience === 'string' ? audience : [...audience],
        algorithms: this.algorithms,
        clockTolerance: this.o.clockToleranceS ?? 5,
        requiredClaims: ['iss', 'sub', 'aud', 'exp'],
        ...(this.o.requireAtJwt !== false && { typ: 'at+jwt' }),
      })
      return { ok: true, principal: principalOf(payload) }
    } catch (err) {
      if (err instanceof IssuerUnavailable)
        return { ok: false, error: 'unavailable', description: err.message }
      return { ok: false, error: 'invalid_token', description: describe(err) }
    }
  }
}
