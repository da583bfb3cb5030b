/**
 * CORS for browser clients on other origins (Shlink's web client, the
 * console in dev). A request without an `Origin` header (every server-to-
 * server call, every benchmark) costs one property read. Preflights are
 * answered for any path, echoing the requested headers so custom ones such
 * as `X-Api-Key` pass.
 */
import type { FastifyInstance } from 'fastify'

const EXPOSED = 'x-request-id, retry-after, ratelimit, ratelimit-policy, location'
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'

export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*')
  const allowed = new Set(origins)
  const allow = (origin: string): string | undefined => (any ? '*' : allowed.has(origin) ? origin : undefined)

  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin
    if (origin === undefined) return done()
    const value = allow(origin)
    if (value) {
      reply.header('access-control-allow-origin', value)
      reply.header('access-control-expose-headers', EXPOSED)
      if (!any) reply.header('vary', 'Origin')
    }
    done()
  })

  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const origin = request.headers.origin
    const method = request.headers['access-control-request-method']
    if (origin !== undefined && method !== undefined && allow(origin)) {
      reply.header('access-control-allow-methods', METHODS)
      const headers = request.headers['access-control-request-headers']
      if (headers) reply.header('access-control-allow-headers', headers)
      reply.header('access-control-max-age', '600')
      if (!any) reply.header('vary', 'Origin, Access-Control-Request-Headers')
    }
    reply.header('allow', METHODS)
    return reply.code(204).send()
  })
}
