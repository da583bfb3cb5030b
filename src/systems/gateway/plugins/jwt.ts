/**
 * Kong's jwt plugin: a JWT from the `Authorization: Bearer` header, a query argument or a cookie is
 * matched to a consumer's jwt_secret by its `key_claim_name` claim (`iss` by default), its signature
 * checked with that secret's algorithm (an HS secret, or an RS or ES public key: never the token's own
 * choice), and `exp`/`nbf` verified when listed in `claims_to_verify`. Kong's answers: 401
 * `Unauthorized` (no token), `Bad token; ...`, `No credentials found for given 'iss'`,
 * `Invalid algorithm`, `Invalid signature`, and `{"exp":"token expired"}` for claims.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose'
import { s } from '../config/fields.js'
import type { JwtSecret, Plugin } from '../config/types.js'
import { anonymousOr, setConsumerHeaders } from './consumer-headers.js'
import type { Exit, PluginDefinition, RequestState } from './types.js'

interface Conf {
  uri_param_names: string[]
  cookie_names: string[]
  header_names: string[]
  claims_to_verify: ('exp' | 'nbf')[] | null
  key_claim_name: string
  secret_is_base64: boolean
  anonymous: string | null
  run_on_preflight: boolean
  maximum_expiration: number
  realm: string | null
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function tokensOf(st: RequestState, c: Conf): string[] {
  const found: string[] = []
  const params = new URLSearchParams(st.query)
  for (const n of c.uri_param_names) for (const v of params.getAll(n)) found.push(v)
  for (const n of c.cookie_names) {
    const v = cookie(st.req.headers.cookie, n)
    if (v) found.push(v)
  }
  for (const n of c.header_names) {
    const v = st.req.headers[n.toLowerCase()]
    for (const h of Array.isArray(v) ? v : v ? [v] : []) {
      const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(h)
      if (m) found.push(m[1]!)
    }
  }
  return [...new Set(found)]
}

const keyCache = new WeakMap<JwtSecret, Uint8Array | KeyObject>()

function keyOf(secret: JwtSecret, base64: boolean): Uint8Array | KeyObject {
  let k = keyCache.get(secret)
  if (!k) {
    k = secret.algorithm.startsWith('HS')
      ? base64
        ? new Uint8Array(Buffer.from(secret.secret ?? '', 'base64'))
        : new TextEncoder().encode(secret.secret ?? '')
      : createPublicKey(secret.rsa_public_key ?? '')
    keyCache.set(secret, k)
  }
  return k
}

export const jwt: PluginDefinition = {
  name: 'jwt',
  priority: 1450,
  schema: {
    uri_param_names: s.arr(s.str({ max: 128 }), ['jwt']),
    cookie_names: s.arr(s.str({ max: 128 }), []),
    header_names: s.arr(s.str({ max: 128 }), ['authorization']),
    claims_to_verify: s.arr(s.oneOf(['exp', 'nbf'])),
    key_claim_name: s.str({ max: 128, default: 'iss' }),
    secret_is_base64: s.bool(false),
    anonymous: s.str({ max: 256 }),
    run_on_preflight: s.bool(true),
    maximum_expiration: s.num({ gt: -1, max: 31_536_000, default: 0 }),
    realm: s.str({ max: 256 }),
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const realm = `Bearer realm="${c.realm ?? 'kong'}"`
    const withError = `${realm}, error="invalid_token"`
    const fail = (
      st: RequestState,
      message: string | undefined,
      www: string,
      body?: Record<string, string>,
    ): Exit | undefined =>
      anonymousOr(st, c.anonymous, {
        status: 401,
        ...(body ? { body } : { message }),
        headers: { 'www-authenticate': www },
      })

    return {
      entity,
      async access(st: RequestState) {
        if (!c.run_on_preflight && st.req.method === 'OPTIONS') return undefined
        const tokens = tokensOf(st, c)
        if (tokens.length === 0) return fail(st, 'Unauthorized', realm)
        if (tokens.length > 1) return fail(st, 'Multiple tokens provided', withError)
        const token = tokens[0]!
        let header: { alg?: string }
        let claims: Record<string, unknown>
        try {
          header = decodeProtectedHeader(token)
          claims = decodeJwt(token)
        } catch (err) {
          return fail(st, `Bad token; ${(err as Error).message}`, withError)
        }
        const keyValue = claims[c.key_claim_name] ?? (header as Record<string, unknown>)[c.key_claim_name]
        if (keyValue === undefined) return fail(st, `No mandatory '${c.key_claim_name}' in claims`, withError)
        if (typeof keyValue !== 'string' || keyValue === '')
          return fail(st, `Invalid '${c.key_claim_name}' in claims`, withError)
        const secret = st.lookup.jwtSecret(keyValue)
        if (!secret) return fail(st, `No credentials found for given '${c.key_claim_name}'`, withError)
        if (header.alg !== secret.algorithm) return fail(st, 'Invalid algorithm', withError)
        let key: Uint8Array | KeyObject
        try {
          key = keyOf(secret, c.secret_is_base64)
        } catch {
          return fail(st, 'Invalid key/secret', withError)
        }
        try {
          await compactVerify(token, key, { algorithms: [secret.algorithm] })
        } catch {
          return fail(st, 'Invalid signature', withError)
        }
        const now = Date.now() / 1000
        const errors: Record<string, string> = {}
        for (const claim of c.claims_to_verify ?? []) {
          const v = claims[claim]
          if (v === undefined) errors[claim] = `must be a number`
          else if (typeof v !== 'number') errors[claim] = 'must be a number'
          else if (claim === 'exp' && v <= now) errors.exp = 'token expired'
          else if (claim === 'nbf' && v > now) errors.nbf = 'token not valid yet'
        }
        if (c.maximum_expiration > 0) {
          const exp = claims.exp
          if (typeof exp !== 'number') errors.exp = 'must be a number'
          else if (exp - now > c.maximum_expiration) errors.exp = 'exceeds maximum allowed expiration'
        }
        if (Object.keys(errors).length) return fail(st, undefined, withError, errors)
        const consumer = st.lookup.consumer(secret.consumer)
        if (!consumer)
          return { status: 401, message: `Could not find consumer for '${c.key_claim_name}=${keyValue}'` }
        st.consumer = consumer
        st.credential = { id: secret.id }
        setConsumerHeaders(st, consumer, secret.id)
        return undefined
      },
    }
  },
}
