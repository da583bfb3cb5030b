/**
 * Who is calling. Two kinds of bearer token are accepted: the development issuer's (EdDSA, the
 * key kept in PostgreSQL so every node verifies what any node issued; `POST /board/tokens`, off
 * in production) and, when an issuer is configured or the auth system runs in this process, its
 * access tokens through platform/auth (the user is the token's `sub`).
 */
import { randomUUID } from 'node:crypto'
import {
  type CryptoKey,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose'
import type { TokenVerifier } from '../../platform/auth/index.js'
import type { Db } from '../../platform/db/port.js'
import { BoardError } from './errors.js'

/** What a token's subject must look like to be a board user. */
export const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/

const ALG = 'EdDSA'
const ISSUER = 'blueprints-board'
const AUDIENCE = 'board'

/** A verified caller: the user, and until when the token is good (ms since the epoch). */
export interface Caller {
  user: string
  expiresAt: number
  issuedAt: number | undefined
  jti: string | undefined
}

export class BoardTokens {
  private constructor(
    private readonly keySet: JWTVerifyGetKey,
    private readonly signingKey: CryptoKey | Uint8Array,
    private readonly kid: string,
    private readonly ttlSeconds: number,
    private readonly oidc: TokenVerifier | undefined,
  ) {}

  /** Load (or create once, race-free across nodes) the development key. */
  static async open(db: Db, ttlSeconds: number, oidc?: TokenVerifier): Promise<BoardTokens> {
    let row = await readKey(db)
    if (!row) {
      const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true })
      const kid = randomUUID()
      await db.query(
        `INSERT INTO signing_keys (kid, private_jwk, public_jwk)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)`,
        [
          kid,
          JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG }),
          JSON.stringify({ ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }),
        ],
      )
      row = (await readKey(db))!
    }
    const keySet = createLocalJWKSet({ keys: [row.public_jwk] })
    return new BoardTokens(keySet, await importJWK(row.private_jwk, ALG), row.kid, ttlSeconds, oidc)
  }

  /** Sign a development token for `user`. */
  async issue(user: string): Promise<{ token: string; expiresAt: Date }> {
    if (!USER_NAME.test(user)) throw BoardError.badUser(user)
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'JWT' })
      .setSubject(user)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setJti(randomUUID())
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.signingKey)
    return { token, expiresAt: new Date((now + this.ttlSeconds) * 1000) }
  }

  /** The caller a token speaks for, or a 401 BoardError. */
  async verify(token: string | undefined): Promise<Caller> {
    if (!token) throw BoardError.unauthenticated('a bearer token is required')
    let iss: string | undefined
    try {
      iss = decodeJwt(token).iss
    } catch {
      throw BoardError.unauthenticated('the token is not a JWT')
    }
    if (iss !== ISSUER && this.oidc) return this.viaOidc(token)
    try {
      const { payload } = await jwtVerify(token, this.keySet, {
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      })
      return this.caller(payload.sub!, payload.exp!, payload.iat, payload.jti)
    } catch (err) {
      if (err instanceof BoardError) throw err
      const code = (err as { code?: string }).code
      throw BoardError.unauthenticated(
        code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid',
      )
    }
  }

  private async viaOidc(token: string): Promise<Caller> {
    const r = await this.oidc!.verify(token)
    if (!r.ok) throw BoardError.unauthenticated(r.description)
    const p = r.principal
    return this.caller(p.sub, p.expiresAt, p.claims.iat, p.claims.jti)
  }

  private caller(sub: string, exp: number, iat: unknown, jti: unknown): Caller {
    if (!USER_NAME.test(sub)) throw BoardError.unauthenticated('the token subject is not a valid user name')
    return {
      user: sub,
      expiresAt: exp * 1000,
      issuedAt: typeof iat === 'number' ? iat * 1000 : undefined,
      jti: typeof jti === 'string' ? jti : undefined,
    }
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

/** The token of a request: `Authorization: Bearer`, else `access_token` or `token` in the query. */
export function tokenOf(authorization: string | undefined, query: unknown): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim()
  const q = query as { access_token?: unknown; token?: unknown } | undefined
  if (typeof q?.access_token === 'string') return q.access_token
  return typeof q?.token === 'string' ? q.token : undefined
}
