/**
 * 404 and 405. Fastify answers an unknown method on a known path with 404;
 * HTTP says 405 with an `Allow` header. We keep a router of our own with
 * every registered route, and on a miss ask it which methods would match.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { PlatformErrors, plainProblem } from '../errors.js'
import { sendProblem } from './error-handler.js'

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
/** Methods that make a path "exist" (OPTIONS matches everything through the CORS preflight route). */
const RESOURCE_METHODS = METHODS.filter((m) => m !== 'OPTIONS')

/**
 * A system's answer to a GET the platform would otherwise answer itself: `root` is `/` (the
 * console), `not-found` a path no route matches. True when it sent the reply. Synchronous: it
 * decides from memory (the URL shortener's per-domain redirects for the base URL and other 404s).
 */
export type SiteFallback = (
  kind: 'root' | 'not-found',
  request: FastifyRequest,
  reply: FastifyReply,
) => boolean

declare module 'fastify' {
  interface FastifyInstance {
    /** The systems' fallbacks, tried in order (app.ts fills it). */
    siteFallbacks: SiteFallback[]
  }
}

/** Whether a system's fallback answered this GET. */
export function answeredByFallback(
  kind: 'root' | 'not-found',
  request: FastifyRequest,
  reply: FastifyReply,
): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  for (const f of request.server.siteFallbacks ?? []) if (f(kind, request, reply)) return true
  return false
}

export function installNotFound(app: FastifyInstance): void {
  app.decorate('siteFallbacks', [] as SiteFallback[])
  const router = FindMyWay({ ignoreTrailingSlash: false })
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const m of methods) {
      if (!METHODS.includes(m as HTTPMethod)) continue
      try {
        router.on(m as HTTPMethod, route.url, () => {})
      } catch {
        // Same route declared twice in our mirror (HEAD auto-routes): Fastify already validated it.
      }
    }
  })
  app.setNotFoundHandler((request, reply) => {
    if (answeredByFallback('not-found', request, reply)) return reply
    const path = request.url.split('?')[0] ?? '/'
    const allow = RESOURCE_METHODS.filter((m) => m !== request.method && router.find(m, path) !== null)
    if (allow.length > 0)
      return sendProblem(request, reply, PlatformErrors.methodNotAllowed(request.method, path, allow))
    // A plain object, not an AppError: a scan of unknown paths should not pay for a stack trace each.
    return sendProblem(request, reply, plainProblem('NOT_FOUND', 404, `No route matches ${path}`))
  })
}
