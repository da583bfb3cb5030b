/**
 * The public routes: `/{shortCode}` redirects, `/{shortCode}/track` (a
 * tracking pixel), `/{shortCode}/qr-code`. No API key. The redirect handler
 * is not `async`: on a cached code the whole request completes without a
 * promise, and an unknown code is answered without throwing (a scan of
 * random codes must not pay for stack traces).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../platform/http/types.js'
import type { SiteFallback } from '../../platform/system.js'
import { codeFromPath, RESERVED_SLUGS } from './codes.js'
import type { Domains } from './domains.js'
import type { OrphanVisitType } from './ports.js'
import { renderQr } from './qr.js'
import type { Outcome, Redirector, VisitInfo } from './redirect.js'
import { QrQuery, ShortCodeParams } from './schemas.js'

export interface RedirectRouteDeps {
  redirector: Redirector
  baseUrl: () => string
  status: 301 | 302 | 307 | 308
  cacheLifetimeSec: number
  /** Where "not found" visits go instead of a 404, per domain (Shlink's not-found redirects). */
  domains: Domains
  /** Read the client's address for geolocation (only when a database is loaded). */
  withIp: boolean
}

const TAGS = ['URL Shortener']

/** A 1x1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64')

const NOT_FOUND_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>' +
  '<body><h1>Not found</h1><p>This short URL does not exist, has expired, or is no longer available.</p></body></html>'

/**
 * A request as a visit. A class, not an object literal: a literal with a getter is built through
 * V8's slow path on every request (defining an accessor property), which a profile of the hot
 * redirect put at ~2% of the server's CPU; here the getter sits on the prototype once.
 */
class RequestVisit implements VisitInfo {
  readonly query: string
  readonly referer: string | undefined
  readonly userAgent: string | undefined
  readonly acceptLanguage: string | undefined
  readonly visitedUrl: string

  constructor(
    private readonly request: FastifyRequest,
    base: string,
    readonly geolocate: boolean,
  ) {
    const url = request.url
    const q = url.indexOf('?')
    const headers = request.headers
    this.query = q < 0 ? '' : url.slice(q + 1)
    this.referer = headers.referer
    this.userAgent = headers['user-agent']
    this.acceptLanguage = headers['accept-language']
    this.visitedUrl = base + url
  }

  /**
   * Read for ip-address and geolocation redirect rules, and recorded (for geolocation) only when a
   * database is loaded: asked of the socket only then (Fastify's getter, then the socket's, on every
   * request otherwise: ~1% of a hot redirect server's CPU in a profile).
   */
  get ip(): string | undefined {
    return this.request.ip
  }
}

function visitInfo(request: FastifyRequest, base: string, withIp: boolean): VisitInfo {
  return new RequestVisit(request, base, withIp)
}

/** The domain's redirect for a "not found" visit of `type` to this request's host and path, or null. */
function redirectOf(d: RedirectRouteDeps, request: FastifyRequest, type: OrphanVisitType): string | null {
  return d.domains.redirectFor(type, request.headers.host, request.url.split('?')[0] ?? '/')
}

/**
 * A visit that found no short URL: recorded as an orphan visit of `type`, then sent to the
 * domain's redirect for that type when one is configured (else the caller answers 404).
 */
function orphan(
  d: RedirectRouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  type: OrphanVisitType,
  info: VisitInfo | undefined,
  redirect = redirectOf(d, request, type),
): FastifyReply | undefined {
  d.redirector.orphan(type, info ?? visitInfo(request, d.baseUrl(), d.withIp), redirect)
  return redirect === null ? undefined : reply.redirect(redirect, 302)
}

/**
 * Shlink's other two kinds of orphan visit, through the platform's fallbacks. `/` is the console
 * here: it becomes a base-URL visit (recorded, redirected) only when a base URL redirect applies
 * to the host. A path no route matches is a regular 404 visit (recorded; redirected when
 * configured), unless its first segment is reserved (`/rest/...`, another system, `/favicon.ico`):
 * those are not visits to the short domain.
 */
export function siteFallback(d: RedirectRouteDeps): SiteFallback {
  return (kind, request, reply) => {
    if (kind === 'root') {
      const redirect = redirectOf(d, request, 'base_url')
      if (redirect === null) return false
      return orphan(d, request, reply, 'base_url', undefined, redirect) !== undefined
    }
    const first = (request.url.split(/[/?]/)[1] ?? '').toLowerCase()
    if (RESERVED_SLUGS.has(first)) return false
    return orphan(d, request, reply, 'regular_404', undefined) !== undefined
  }
}

export function redirectRoutes(app: TypedApp, d: RedirectRouteDeps): void {
  const cacheControl =
    d.status === 301 || d.status === 308 ? `private,max-age=${d.cacheLifetimeSec}` : undefined

  function notFound(
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
    info?: VisitInfo,
  ): FastifyReply {
    const redirected = orphan(d, request, reply, 'invalid_short_url', info)
    if (redirected) return redirected
    return notFoundPage(request, reply, code)
  }

  function notFoundPage(request: FastifyRequest, reply: FastifyReply, code: string): FastifyReply {
    if (request.headers.accept?.includes('text/html'))
      return reply.code(404).type('text/html; charset=utf-8').send(NOT_FOUND_HTML)
    return reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'https://shlink.io/api/error/short-url-not-found',
        title: 'Short URL not found',
        detail: `No URL found with short code "${code}"`,
        status: 404,
        shortCode: code,
        code: 'INVALID_SHORTCODE',
      })
  }

  /** The lookup failed (database unreachable and the code not cached): 503, retry soon. */
  function unavailable(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
    request.log.warn({ err }, 'short code lookup failed')
    return reply.code(503).header('retry-after', '5').type('application/problem+json').send({
      type: '/problems/dependency-unavailable',
      title: 'Service Unavailable',
      detail: 'The short URL cannot be looked up right now; try again shortly',
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
    })
  }

  function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
    info: VisitInfo,
    out: Outcome,
  ): FastifyReply {
    if (!out.found) return notFound(request, reply, code, info)
    if (cacheControl) reply.header('cache-control', cacheControl)
    return reply.redirect(out.location, d.status)
  }

  app.get(
    '/:shortCode',
    {
      schema: {
        tags: TAGS,
        summary: 'Short URL: records the visit and redirects to the long URL',
        description:
          'Unknown, not-yet-valid, expired and visit-exhausted codes answer 404 (or redirect to the configured fallback). ' +
          'With forwardQuery, the query string is merged into the long URL.',
        params: ShortCodeParams,
      },
    },
    (request, reply) => {
      const code = codeFromPath(request.params.shortCode)
      const info = visitInfo(request, d.baseUrl(), d.withIp)
      const out = d.redirector.visit(code, info)
      if (out instanceof Promise)
        return out.then(
          (o) => answer(request, reply, code, info, o),
          (err) => unavailable(request, reply, err),
        )
      answer(request, reply, code, info, out)
    },
  )

  app.get(
    '/:shortCode/track',
    {
      schema: {
        tags: TAGS,
        summary: 'Tracking pixel: records a visit and answers a 1x1 transparent GIF',
        params: ShortCodeParams,
      },
    },
    async (request, reply) => {
      // The pixel is always served (an e-mail must not show a broken image); only valid codes record a visit.
      try {
        await d.redirector.visit(
          codeFromPath(request.params.shortCode),
          visitInfo(request, d.baseUrl(), d.withIp),
          true,
        )
      } catch (err) {
        request.log.warn({ err }, 'tracking pixel lookup failed')
      }
      return reply.type('image/gif').header('cache-control', 'no-store').send(PIXEL)
    },
  )

  app.get(
    '/:shortCode/qr-code',
    {
      schema: {
        tags: TAGS,
        summary: 'QR code of the short URL (PNG or SVG)',
        params: ShortCodeParams,
        querystring: QrQuery,
      },
    },
    async (request, reply) => {
      const code = codeFromPath(request.params.shortCode)
      if (!(await d.redirector.exists(code))) return notFoundPage(request, reply, code)
      const q = request.query
      const qr = await renderQr(`${d.baseUrl()}/${code}`, {
        size: q.size ?? 300,
        format: q.format ?? 'png',
        margin: q.margin ?? 0,
        errorCorrection: q.errorCorrection ?? 'L',
        color: q.color ?? '000000',
        bgColor: q.bgColor ?? 'ffffff',
      })
      return reply.type(qr.type).header('cache-control', 'public,max-age=3600').send(qr.body)
    },
  )
}
