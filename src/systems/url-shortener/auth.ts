/**
 * The `X-Api-Key` check of every `/rest/v3` route, as Shlink does it: no
 * key is `missing-authentication`, an unknown, disabled or expired key is
 * `invalid-api-key`, both 401. `GET /short-urls/shorten` takes the key
 * from its `apiKey` query parameter instead, as Shlink's single-step
 * creation does. CORS preflights never reach it (the platform's CORS
 * plugin answers OPTIONS before any route hook runs). The OpenAPI document
 * declares the header (or, for those routes, the query parameter) as a
 * security scheme on every guarded operation, so Swagger UI's "Authorize"
 * sends it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiKeys } from './api-keys.js'
import { ShlinkErrors } from './shlink-errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the API key that authenticated this request (management routes). */
    apiKeyId?: number
  }
}

/** Routes that authenticate with an `apiKey` query parameter (Shlink's single-step shorten). */
export const QUERY_KEY_ROUTES: ReadonlySet<string> = new Set(['/rest/v3/short-urls/shorten'])

export function apiKeyHook(keys: ApiKeys) {
  return async function checkApiKey(request: FastifyRequest): Promise<void> {
    let key: string | undefined
    if (QUERY_KEY_ROUTES.has(request.routeOptions.url ?? '')) {
      const q = (request.query as { apiKey?: unknown }).apiKey
      key = typeof q === 'string' ? q : undefined
      if (!key) throw ShlinkErrors.missingQueryAuthentication()
    } else {
      const header = request.headers['x-api-key']
      key = Array.isArray(header) ? header[0] : header
    }
    if (!key) throw ShlinkErrors.missingAuthentication()
    if (key.length > 200) throw ShlinkErrors.invalidApiKey()
    const row = await keys.verify(key)
    if (!row) throw ShlinkErrors.invalidApiKey()
    request.apiKeyId = row.id
  }
}

/** The OpenAPI names of the `X-Api-Key` header scheme and of the `apiKey` query parameter scheme. */
export const API_KEY_SCHEME = 'urlShortenerApiKey'
export const QUERY_API_KEY_SCHEME = 'urlShortenerQueryApiKey'

/** Declare the key's schemes and name the right one in every operation `api` registers from now on. */
export function documentApiKey(api: FastifyInstance): void {
  const description = 'A Shlink API key (INITIAL_API_KEY, or `blueprints url-shortener api-key create`)'
  if (api.hasDecorator('addSecurityScheme')) {
    api.addSecurityScheme(API_KEY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-Api-Key', description })
    api.addSecurityScheme(QUERY_API_KEY_SCHEME, { type: 'apiKey', in: 'query', name: 'apiKey', description })
  }
  const header = [{ [API_KEY_SCHEME]: [] }]
  const query = [{ [QUERY_API_KEY_SCHEME]: [] }]
  api.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: QUERY_KEY_ROUTES.has(route.url) ? query : header }
  })
}
