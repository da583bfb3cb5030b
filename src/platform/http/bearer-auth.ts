/**
 * An optional bearer token in front of a group of routes (a system's API, an
 * admin surface), configured by one setting: unset, the routes are open;
 * set, a request without `Authorization: Bearer <token>` gets a 401
 * problem+json with a `WWW-Authenticate` challenge. The comparison hashes
 * both sides first, so its time says nothing about the token, its length
 * included. Guarded operations name the scheme in the OpenAPI document.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import type { TypedApp } from './types.js'

export interface BearerTokenOptions {
  /** The configured token; undefined (or empty) leaves the routes open. */
  token: string | undefined
  /** The 401 problem's code, e.g. `JOBS_UNAUTHORIZED`. */
  code: string
  /** The `WWW-Authenticate` realm and the OpenAPI security scheme's name, e.g. `jobs`. */
  realm: string
  /** The 401 problem's detail, e.g. which setting holds the token. */
  message: string
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest()

/** Whether an `Authorization` header value is `Bearer <token>` (the scheme in any case), compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const sent = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1]
  // Compared even when the header is malformed, so that case takes the same time.
  const same = timingSafeEqual(digest(sent ?? ''), digest(token))
  return same && sent !== undefined
}

/** An onRequest hook that refuses a request without the token; undefined when no token is configured. */
export function bearerGuard(o: BearerTokenOptions): ((req: FastifyRequest) => Promise<void>) | undefined {
  const token = o.token
  if (!token) return undefined
  const challenge = `Bearer realm="${o.realm}"`
  return async (req) => {
    if (!bearerMatches(req.headers.authorization, token))
      throw new AppError(o.code, 401, o.message, { headers: { 'www-authenticate': challenge } })
  }
}

/** The OpenAPI name of a realm's bearer scheme (`jobs` -> `jobsBearer`). */
export function bearerSchemeName(realm: string): string {
  return `${realm.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}Bearer`
}

/**
 * Declare a realm's bearer scheme in the OpenAPI document (when a token is set) and return
 * the `security` requirement its guarded routes name, for routes guarded one by one.
 */
export function bearerSecurity(app: TypedApp, o: BearerTokenOptions): { [scheme: string]: [] }[] | undefined {
  if (!o.token) return undefined
  const scope = app as unknown as FastifyInstance
  const scheme = bearerSchemeName(o.realm)
  if (scope.hasDecorator('addSecurityScheme'))
    scope.addSecurityScheme(scheme, { type: 'http', scheme: 'bearer', description: o.message })
  return [{ [scheme]: [] }]
}

/**
 * Guard every route `scope` registers after this call (when a token is set):
 * the onRequest hook above, and the bearer scheme in each OpenAPI operation.
 */
export function requireBearerToken(app: TypedApp, o: BearerTokenOptions): void {
  const guard = bearerGuard(o)
  if (!guard) return
  const scope = app as unknown as FastifyInstance
  const security = bearerSecurity(app, o)
  scope.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security }
  })
  scope.addHook('onRequest', guard)
}
