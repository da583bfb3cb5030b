/**
 * Errors in Shlink's REST v3 problem+json shapes, so Shlink clients show
 * them: `type` is Shlink's URI (`https://shlink.io/api/error/<name>`),
 * `title` and `detail` are Shlink's wording, and the extra members
 * (`invalidElements`, `shortCode`, `customSlug`, ...) are the ones its
 * OpenAPI documents. `code` carries the pre-v3 type name (INVALID_ARGUMENT,
 * INVALID_SLUG, ...), which is also this system's error code in the README.
 *
 * The routes plugin installs `shlinkErrorHandler` on its own encapsulated
 * scope, so only this system's routes answer in Shlink's dialect.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../platform/errors.js'
import { sendProblem, toAppError } from '../../platform/http/error-handler.js'

const TYPE_BASE = 'https://shlink.io/api/error/'

export class ShlinkError extends AppError {
  override name = 'ShlinkError'
  constructor(
    code: string,
    status: number,
    readonly title: string,
    readonly errorName: string,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(code, status, detail, { type: `${TYPE_BASE}${errorName}`, extensions, headers })
  }
}

export const ShlinkErrors = {
  /**
   * Shlink 4's one answer to bad input, a refused long URL included (its `invalid-url` is gone since
   * 4.0): `detail` is always Shlink's fixed sentence; what was wrong is in `reason`, ours.
   */
  invalidData: (invalidElements: string[], reason?: string) =>
    new ShlinkError('INVALID_ARGUMENT', 400, 'Invalid data', 'invalid-data', 'Provided data is not valid', {
      invalidElements: [...new Set(invalidElements)],
      ...(reason && { reason }),
    }),
  domainNotFound: (authority: string) =>
    new ShlinkError(
      'DOMAIN_NOT_FOUND',
      404,
      'Domain not found',
      'domain-not-found',
      `Domain with authority "${authority}" could not be found`,
      { authority },
    ),
  nonUniqueSlug: (slug: string) =>
    new ShlinkError(
      'INVALID_SLUG',
      400,
      'Invalid custom slug',
      'non-unique-slug',
      `Provided slug "${slug}" is already in use.`,
      { customSlug: slug },
    ),
  shortUrlNotFound: (shortCode: string) =>
    new ShlinkError(
      'INVALID_SHORTCODE',
      404,
      'Short URL not found',
      'short-url-not-found',
      `No URL found with short code "${shortCode}"`,
      { shortCode },
    ),
  tagNotFound: (tag: string) =>
    new ShlinkError(
      'TAG_NOT_FOUND',
      404,
      'Tag not found',
      'tag-not-found',
      `Tag with name "${tag}" could not be found`,
      { tag },
    ),
  tagConflict: (oldName: string, newName: string) =>
    new ShlinkError(
      'TAG_CONFLICT',
      409,
      'Tag conflict',
      'tag-conflict',
      `You cannot rename tag ${oldName} to ${newName}, because it already exists`,
      { oldName, newName },
    ),
  missingAuthentication: () =>
    new ShlinkError(
      'INVALID_AUTHORIZATION',
      401,
      'Invalid authorization',
      'missing-authentication',
      'Expected one of the following authentication headers, ["X-Api-Key"], but none were provided',
      { expectedHeaders: ['X-Api-Key'] },
    ),
  /** The single-step `GET /short-urls/shorten` authenticates by query parameter. */
  missingQueryAuthentication: () =>
    new ShlinkError(
      'INVALID_AUTHORIZATION',
      401,
      'Invalid authorization',
      'missing-authentication',
      'Expected authentication to be provided in "apiKey" query param',
    ),
  invalidApiKey: () =>
    new ShlinkError(
      'INVALID_API_KEY',
      401,
      'Invalid API key',
      'invalid-api-key',
      'Provided API key does not exist or is invalid.',
    ),
  mercureNotConfigured: () =>
    new ShlinkError(
      'MERCURE_NOT_CONFIGURED',
      501,
      'Mercure integration not configured',
      'mercure-not-configured',
      'This Shlink instance is not integrated with a mercure hub.',
    ),
  malformedBody: (why: string) =>
    new ShlinkError(
      'MALFORMED_REQUEST_BODY',
      400,
      'Malformed request body',
      'malformed-request-body',
      'Provided request does not contain a valid JSON body.',
      { reason: why },
    ),
} as const

/** The top-level field names an ajv validation error points at (Shlink's `invalidElements`). */
export function invalidElementsOf(validation: unknown[], context: string | undefined): string[] {
  const out: string[] = []
  for (const v of validation) {
    const item = v as { instancePath?: string; params?: Record<string, unknown> }
    const segment = (item.instancePath ?? '').split('/').filter(Boolean)[0]
    const missing = item.params?.missingProperty as string | undefined
    const extra = item.params?.additionalProperty as string | undefined
    const name = segment ?? missing ?? extra ?? (context === 'params' ? 'shortCode' : (context ?? 'body'))
    out.push(name.replace(/\[\]$/, ''))
  }
  return out.length > 0 ? out : ['body']
}

/** Map anything thrown in a route of this system to a ShlinkError, or to the platform's AppError. */
export function toShlinkError(err: unknown, bodyLimit: number, contentType?: string): AppError {
  if (err instanceof ShlinkError) return err
  const e = err as { validation?: unknown[]; validationContext?: string; message?: string }
  if (Array.isArray(e.validation)) {
    const elements = invalidElementsOf(e.validation, e.validationContext)
    return ShlinkErrors.invalidData(elements, e.message)
  }
  const app = toAppError(err, bodyLimit, contentType)
  if (app.code === 'INVALID_JSON' || app.code === 'INVALID_UTF8')
    return ShlinkErrors.malformedBody(app.message)
  // The platform's edge rules about text (U+0000, lone surrogates, query escapes that are not UTF-8).
  if (app.code === 'UNSTORABLE_TEXT' || app.code === 'INVALID_URL_ENCODING') {
    const params = (app.extensions.invalidParams ?? []) as { name: string }[]
    if (params.length > 0)
      return ShlinkErrors.invalidData(
        params.map((p) => p.name.split(/[.[]/)[0] || p.name),
        app.message,
      )
  }
  return app
}

function send(request: FastifyRequest, reply: FastifyReply, err: ShlinkError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v)
  reply.header('x-request-id', request.id)
  return reply
    .code(err.status)
    .type('application/problem+json')
    .send({
      ...err.extensions,
      type: err.type,
      title: err.title,
      detail: err.message,
      status: err.status,
      code: err.code,
    })
}

/** The error handler of this system's routes: Shlink's shapes, the platform's for everything else. */
export function shlinkErrorHandler(bodyLimit: number) {
  return function handle(err: unknown, request: FastifyRequest, reply: FastifyReply) {
    const appErr = toShlinkError(err, bodyLimit, request.headers['content-type'])
    // A ShlinkError is an answer the API gives on purpose (mercure-not-configured is a 501): not a failure.
    if (appErr.status >= 500 && !(appErr instanceof ShlinkError)) request.log.error({ err }, 'request failed')
    else request.log.debug({ code: appErr.code, status: appErr.status }, 'request answered with a problem')
    if (appErr instanceof ShlinkError) return send(request, reply, appErr)
    return sendProblem(request, reply, appErr)
  }
}
