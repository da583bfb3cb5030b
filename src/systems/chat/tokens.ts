/**
 * Bearer tokens. Verification always goes through a JWKS-shaped key set:
 * the local one (this system's own signing key, served at
 * `/chat/.well-known/jwks.json`) or a remote one (`CHAT_JWKS_URL`, e.g. the
 * auth system), so moving to an external issuer is configuration. The dev
 * issuer signs EdDSA JWTs with a key kept in PostgreSQL, so every node
 * verifies what any node issued, across restarts.
 */
import { randomUUID } from 'node:crypto'
import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose'
import type { Db } from '../../platform/db/port.js'
import { ChatError } from './errors.js'

/** User names: what a token's `sub` must look like to be a chat user. */
export const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/

const ALG = 'EdDSA'

/** What a verified token says: who, until when, and what identifies it for revocation. */
export interface TokenClaims {
  user: string
  /** Expiry, ms since the epoch (`exp`, required). */
  expiresAt: number
  /** Issue time, ms since the epoch (`iat`), when the token has one. */
  issuedAt: number | undefined
  /** The token's id (`jti`), when it has one: what revoking one token names. */
  jti: string | undefined
}

export interface TokenOptions {
  issuer: string
  audience: string
  ttlSeconds: number
  jwksUrl?: string
}

/** Issues (dev) and verifies bearer tokens; `verify` returns the user name. */
export class Tokens {
  private constructor(
    private readonly opts: TokenOptions,
    private readonly keySet: JWTVerifyGetKey,
    private readonly signingKey: CryptoKey | Uint8Array,
    private readonly kid: string,
    /** The public half, as served at the JWKS endpoint. */
    readonly jwks: { keys: JWK[] },
  ) {}

  /** The dev issuer's token lifetime (CHAT_TOKEN_TTL_S). */
  get ttlSeconds(): number {
    return this.opts.ttlSeconds
  }

  /** A check that throws for revoked tokens (revocations.ts), applied by every verification. */
  revoked: (claims: TokenClaims) => boolean = () => false

  /** Load the signing key from PostgreSQL (creating it once, race-free across nodes) and build the verifier. */
  static async open(db: Db, opts: TokenOptions): Promise<Tokens> {
    let row = await readKey(db)
    if (!row) {
      const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true })
      const kid = randomUUID()
      const priv = { ...(await exportJWK(privateKey)), kid, alg: ALG }
      const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }
      // Two nodes booting together: the first insert wins and both read it back.
      await db.query(
        `INSERT INTO signing_keys (kid, private_jwk, public_jwk)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)`,
        [kid, JSON.stringify(priv), JSON.stringify(pub)],
      )
      row = (await readKey(db))!
    }
    const jwks = { keys: [row.public_jwk] }
    const keySet = opts.jwksUrl
      ? createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
      : createLocalJWKSet(jwks)
    const signingKey = await importJWK(row.private_jwk, ALG)
    return new Tokens(opts, keySet, signingKey, row.kid, jwks)
  }

  /** Sign a token for `user` (the development issuer). */
  async issue(user: string, ttlSeconds = this.opts.ttlSeconds): Promise<{ token: string; expiresAt: Date }> {
    if (!USER_NAME.test(user)) throw ChatError.badUser(user)
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'JWT' })
      .setSubject(user)
      .setIssuer(this.opts.issuer)
      .setAudience(this.opts.audience)
      .setIssuedAt(now)
      .setJti(randomUUID())
      .setExpirationTime(now + ttlSeconds)
      .sign(this.signingKey)
    return { token, expiresAt: new Date((now + ttlSeconds) * 1000) }
  }

  /** The user a token names, or a 401 ChatError (bad signature, expired, revoked, wrong issuer or audience, bad subject). */
  async verify(token: string | undefined): Promise<string> {
    return (await this.claims(token)).user
  }

  /** The claims of a valid token, or the 401 ChatError `verify` throws. */
  async claims(token: string | undefined): Promise<TokenClaims> {
    if (!token) throw ChatError.unauthenticated('a bearer token is required')
    let claims: TokenClaims
    try {
      const { payload } = await jwtVerify(token, this.keySet, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        requiredClaims: ['sub', 'exp'],
      })
      const sub = payload.sub!
      if (!USER_NAME.test(sub)) throw ChatError.unauthenticated('the token subject is not a valid user name')
      claims = {
        user: sub,
        expiresAt: payload.exp! * 1000,
        issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
        jti: typeof payload.jti === 'string' ? payload.jti : undefined,
      }
    } catch (err) {
      if (err instanceof ChatError) throw err
      const code = (err as { code?: string }).code
      throw ChatError.unauthenticated(
        code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid',
      )
    }
    if (this.revoked(claims)) throw ChatError.tokenRevoked()
    return claims
  }
}

interface KeyRow {
  kid: string
  private_jwk: JWK
  public_jwk: JWK
}

async function readKey(db: Db): Promise<KeyRow | undefined> {
  const { rows } = await db.query<KeyRow>(
    'SELECT kid, private_jwk, public_jwk FROM signing_keys ORDER BY created_at LIMIT 1',
  )
  return rows[0]
}

/** The token of a request: `Authorization: Bearer`, else `access_token` in the query (WebSocket and EventSource cannot set headers). */
export function tokenOf(authorization: string | undefined, query: unknown): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim()
  const q = query as { access_token?: unknown } | undefined
  return typeof q?.access_token === 'string' ? q.access_token : undefined
}
