/**
 * The Fastify side: `tokenAuth(scope, {verifier, realm})` makes every route of `scope` require an
 * access token (RFC 6750 bearer), puts its principal on `req.principal`, and checks the scopes the
 * guard or the route (`config: { scopes: [...] }`) asks for. Refusals are problem+json with the
 * `WWW-Authenticate` challenge RFC 6750 section 3 specifies: 401 without an error code when no
 * token was sent, 401 `invalid_token`, 403 `insufficient_scope` naming the scopes, 400
 * `invalid_request` for a malformed header. Guarded operations name the scheme in OpenAPI.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError, PlatformErrors } from '../errors.js'
import type { TypedApp } from '../http/types.js'
import { Counter, type Registry } from '../telemetry/metrics.js'
import { missingScopes, type Principal } from './principal.js'
import type { TokenVerifier } from './verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token's principal on routes behind `tokenAuth`; undefined elsewhere. */
    principal: Principal | undefined
  }
  interface FastifyContextConfig {
    /** Scopes a route behind `tokenAuth` needs, on top of the guard's. */
    scopes?: readonly string[]
  }
}

export interface TokenAuthOptions {
  verifier: TokenVerifier
  /** The challenge's realm and the OpenAPI scheme's name, e.g. `auth-admin`. */
  realm: string
  /** Scopes every route of the scope needs. */
  scopes?: readonly string[]
  /** Counts verifications by result (`platform_auth_verifications_total`). */
  metrics?: Registry
}

type Outcome = 'ok' | 'missing' | 'malformed' | 'invalid' | 'insufficient_scope' | 'unavailable'

// RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const SCHEME = /^\s*Bearer(\s|$)/i

function counterIn(registry: Registry | undefined): Counter<'realm' | 'result'> | undefined {
  if (!registry) return undefined
  const name = 'platform_auth_verifications_total'
  return (
    (registry.getSingleMetric(name) as Counter<'realm' | 'result'> | undefined) ??
    new Counter({
      name,
      help: 'Bearer tokens checked by platform/auth, by realm and result',
      labelNames: ['realm', 'result'] as const,
      registers: [registry],
    })
  )
}

/** `Bearer realm="x", k="v", ...` (values are ours: no quote or backslash in them). */
function challenge(realm: string, params: Record<string, string> = {}): string {
  return [`Bearer realm="${realm}"`, ...Object.entries(params).map(([k, v]) => `${k}="${v}"`)].join(', ')
}

/** The 403 for a principal lacking scopes, with its challenge. */
export function insufficientScope(realm: string, scopes: readonly string[]): AppError {
  return new AppError('TOKEN_SCOPE_INSUFFICIENT', 403, `this operation needs the scope ${scopes.join(' ')}`, {
    headers: {
      'www-authenticate': challenge(realm, { error: 'insufficient_scope', scope: scopes.join(' ') }),
    },
    extensions: { error: 'insufficient_scope', scope: scopes.join(' ') },
  })
}

/** A preHandler refusing a request whose principal lacks any of `scopes` (for routes behind `tokenAuth`). */
export function requireScope(realm: string, ...scopes: string[]) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!req.principal)
      throw new AppError('TOKEN_MISSING', 401, 'this operation needs a bearer access token', {
        headers: { 'www-authenticate': challenge(realm) },
      })
    if (missingScopes(req.principal, scopes).length > 0) throw insufficientScope(realm, scopes)
  }
}

/** The OpenAPI name of a realm's token scheme (`auth-admin` -> `authAdminToken`). */
export function tokenSchemeName(realm: string): string {
  return `${realm.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}Token`
}

/** Guard every route `app` registers after this call with access tokens of the verifier's issuer. */
export function tokenAuth(app: TypedApp, o: TokenAuthOptions): void {
  const scope = app as unknown as FastifyInstance
  const counter = counterIn(o.metrics)
  const count = (result: Outcome) => counter?.inc({ realm: o.realm, result })
  const base = o.scopes ?? []
  const scheme = tokenSchemeName(o.realm)
  if (scope.hasDecorator('addSecurityScheme'))
    scope.addSecurityScheme(scheme, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `An access token (RFC 9068 JWT) of the configured issuer${base.length ? ` with the scope ${base.join(' ')}` : ''}; the scopes each operation needs are listed with it.`,
    })
  if (!scope.hasRequestDecorator('principal')) scope.decorateRequest('principal', undefined)
  scope.addHook('onRoute', (route) => {
    const scopes = [...base, ...((route.config as { scopes?: string[] } | undefined)?.scopes ?? [])]
    route.schema = { ...route.schema, security: [{ [scheme]: scopes }] }
  })

  scope.addHook('onRequest', async (req) => {
    const header = req.headers.authorization
    if (header === undefined || !SCHEME.test(header)) {
      count('missing')
      throw new AppError('TOKEN_MISSING', 401, 'this operation needs a bearer access token', {
        headers: { 'www-authenticate': challenge(o.realm) },
      })
    }
    const token = BEARER.exec(header)?.[1]
    if (!token) {
      count('malformed')
      throw new AppError('AUTHORIZATION_MALFORMED', 400, 'the Authorization header is not `Bearer <token>`', {
        headers: { 'www-authenticate': challenge(o.realm, { error: 'invalid_request' }) },
        extensions: { error: 'invalid_request' },
      })
    }
    const r = await o.verifier.verify(token)
    if (!r.ok) {
      if (r.error === 'unavailable') {
        count('unavailable')
        req.log.warn({ reason: r.description }, 'token issuer unavailable')
        throw PlatformErrors.dependencyDown('token issuer', 'its keys could not be fetched')
      }
      count('invalid')
      throw new AppError('TOKEN_INVALID', 401, r.description, {
        headers: {
          'www-authenticate': challenge(o.realm, {
            error: 'invalid_token',
            error_description: r.description,
          }),
        },
        extensions: { error: 'invalid_token' },
      })
    }
    const wanted = [...base, ...(req.routeOptions.config.scopes ?? [])]
    if (missingScopes(r.principal, wanted).length > 0) {
      count('insufficient_scope')
      throw insufficientScope(o.realm, wanted)
    }
    count('ok')
    req.principal = r.principal
  })
}
