/**
 * Where a verifier finds an issuer's public keys: in memory when the issuer runs in this process
 * (local-issuers.ts), else its JWKS over HTTP (discovery's `jwks_uri`, or a configured URL),
 * cached and fetched again when a token names a `kid` the cache does not know (a rotation), at
 * most once per cooldown so that tokens with made-up `kid`s cannot make us hammer the issuer.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose'
import type { LocalIssuer } from './local-issuers.js'

export interface RemoteKeyOptions {
  issuer: string
  /** The JWKS URL; default: the `jwks_uri` of the issuer's discovery document. */
  jwksUri?: string | undefined
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs: number
  /** Least time between two fetches (an unknown `kid` within it is refused, not fetched for). */
  cooldownMs: number
  /** Bound of one discovery or JWKS request. */
  timeoutMs: number
}

/** The issuer could not be reached (discovery or JWKS): the token is neither good nor bad yet. */
export class IssuerUnavailable extends Error {
  override name = 'IssuerUnavailable'
}

/** Keys of an issuer in this process; an unknown `kid` rereads them (at most once per cooldown). */
export function localKeys(local: LocalIssuer, cooldownMs: number): JWTVerifyGetKey {
  let doc: { keys: unknown[] } | undefined
  let set: JWTVerifyGetKey | undefined
  let lastRefresh = 0
  const current = (): JWTVerifyGetKey => {
    const jwks = local.jwks()
    // A new document object means new keys: the issuer hands out the same object until then.
    if (jwks !== doc || !set) {
      doc = jwks
      set = createLocalJWKSet(jwks)
    }
    return set
  }
  return async (header, token) => {
    try {
      return await current()(header, token)
    } catch (err) {
      const stale = err instanceof errors.JWKSNoMatchingKey && local.refresh
      if (!stale || Date.now() - lastRefresh < cooldownMs) throw err
      lastRefresh = Date.now()
      await local.refresh!()
      return current()(header, token)
    }
  }
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    })
  } catch (err) {
    throw new IssuerUnavailable(`${url}: ${(err as Error).message}`, { cause: err })
  }
  if (res.status !== 200) throw new IssuerUnavailable(`${url} answered ${res.status}`)
  try {
    return (await res.json()) as Record<string, unknown>
  } catch (err) {
    throw new IssuerUnavailable(`${url} did not answer JSON`, { cause: err })
  }
}

/** The JWKS URL of an issuer: its discovery document's, which must name the same issuer (mix-up defence). */
async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const meta = await fetchJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, timeoutMs)
  if (meta.issuer !== issuer)
    throw new IssuerUnavailable(`discovery of ${issuer} names another issuer: ${String(meta.issuer)}`)
  if (typeof meta.jwks_uri !== 'string') throw new IssuerUnavailable(`discovery of ${issuer} has no jwks_uri`)
  return meta.jwks_uri
}

/** Keys of a remote issuer: discovery once (retried after a failure), then jose's cached remote JWKS. */
export function remoteKeys(o: RemoteKeyOptions): JWTVerifyGetKey {
  let set: Promise<JWTVerifyGetKey> | undefined
  const resolve = async (): Promise<JWTVerifyGetKey> => {
    const uri = o.jwksUri ?? (await discoverJwksUri(o.issuer, o.timeoutMs))
    return createRemoteJWKSet(new URL(uri), {
      cacheMaxAge: o.cacheMaxAgeMs,
      cooldownDuration: o.cooldownMs,
      timeoutDuration: o.timeoutMs,
    })
  }
  return async (header, token) => {
    set ??= resolve().catch((err) => {
      set = undefined
      throw err
    })
    const getKey = await set
    try {
      return await getKey(header, token)
    } catch (err) {
      // jose's fetch failures (timeout, refused connection, non-200, a body that is no JWKS).
      const code = (err as { code?: string }).code
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || code === 'ERR_JOSE_GENERIC' || !code)
        throw new IssuerUnavailable(`JWKS of ${o.issuer}: ${(err as Error).message}`, { cause: err })
      throw err
    }
  }
}
