/**
 * How the board routes say, in the OpenAPI document, that they take a token: the bearer JWT in
 * `Authorization`, or the same token in `?access_token=` (browsers' WebSocket and EventSource
 * cannot set headers). Added by the routes themselves (a per-route swagger transform), as chat does.
 */
import type { SwaggerTransform } from '@fastify/swagger'
import type { RouteOptions } from 'fastify'

export const SECURITY_SCHEMES = {
  boardBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A board token: from `POST /board/tokens` in development, or an access token of the auth system',
  },
  boardAccessToken: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same token in the query, for clients that cannot set headers',
  },
  boardAdmin: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token (BOARD_ADMIN_TOKEN), for rebuilding the views',
  },
} as const

const REQUIRED: Record<string, string[]>[] = [{ boardBearer: [] }, { boardAccessToken: [] }]

const addSecuritySchemes: SwaggerTransform = ({ schema, url, ...doc }) => {
  if ('openapiObject' in doc) {
    doc.openapiObject.components ??= {}
    const components = doc.openapiObject.components
    components.securitySchemes = { ...components.securitySchemes, ...SECURITY_SCHEMES }
  }
  return { schema, url }
}

/** An onRoute hook: document the token requirement on every route of the scope. */
export function documentSecurity(route: RouteOptions): void {
  route.schema = { ...route.schema, security: REQUIRED } as RouteOptions['schema']
  route.config = {
    ...(route.config as object),
    swaggerTransform: addSecuritySchemes,
  } as RouteOptions['config']
}

/** An onRoute hook: the operator token on every route of the scope. */
export function documentAdmin(route: RouteOptions): void {
  route.schema = { ...route.schema, security: [{ boardAdmin: [] }] } as RouteOptions['schema']
  route.config = {
    ...(route.config as object),
    swaggerTransform: addSecuritySchemes,
  } as RouteOptions['config']
}
