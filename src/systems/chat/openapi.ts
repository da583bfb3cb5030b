/**
 * How the chat routes say, in the OpenAPI document, that they take a token:
 * two security schemes (the bearer JWT in `Authorization`, or the same token
 * in `?access_token=` for clients that cannot set headers), and a
 * `security` requirement on every route that checks one. The document is the
 * platform's, so the schemes are added by the routes themselves (a per-route
 * swagger transform), and only when a chat route is in it.
 */
import type { SwaggerTransform } from '@fastify/swagger'
import type { RouteOptions } from 'fastify'

type Security = Record<string, string[]>[]

export const SECURITY_SCHEMES = {
  chatBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A chat token (EdDSA JWT): from `POST /chat/tokens` in development, or your issuer',
  },
  chatAccessToken: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same token in the query, for browsers (EventSource and WebSocket cannot set headers)',
  },
  chatAdmin: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token (CHAT_ADMIN_TOKEN), for revoking any user',
  },
} as const

/** Either scheme satisfies a route. (The WebSocket route is not in the document: @fastify/websocket hides it.) */
export const TOKEN_REQUIRED: Security = [{ chatBearer: [] }, { chatAccessToken: [] }]
/** The operator's routes. */
export const ADMIN_REQUIRED: Security = [{ chatAdmin: [] }]

/**
 * A route's swagger transform: put the security schemes into the document being built (it runs
 * before the route is described, and the route's `security` must name known schemes).
 */
const addSecuritySchemes: SwaggerTransform = ({ schema, url, ...doc }) => {
  if ('openapiObject' in doc) {
    doc.openapiObject.components ??= {}
    const components = doc.openapiObject.components
    components.securitySchemes = { ...components.securitySchemes, ...SECURITY_SCHEMES }
  }
  return { schema, url }
}

/** An onRoute hook: document `security` on every route of the scope it is added to. */
export function documentSecurity(security: Security) {
  return (route: RouteOptions): void => {
    route.schema = { ...route.schema, security } as RouteOptions['schema']
    route.config = {
      ...(route.config as object),
      swaggerTransform: addSecuritySchemes,
    } as RouteOptions['config']
  }
}
