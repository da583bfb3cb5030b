/**
 * Every error leaves as RFC 9457 problem+json: domain AppErrors, Fastify's
 * own errors (validation, body too large, bad content type, bad URL),
 * and anything unexpected (a 500 whose detail hides the internals; the
 * error itself is logged with the request id).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, PlatformErrors, PROBLEM_CONTENT_TYPE, type ProblemSource, toProblem } from '../errors.js'
import { dependencyFailure } from './dependency-failure.js'

/**
 * A field's name as a client writes it, from a JSON pointer into the part
 * of the request it is in: `/payload/ms` -> `payload.ms`, `/jobs/2/task` ->
 * `jobs[2].task`; the part itself (`body`, `querystring`) when the pointer is empty.
 */
export function paramName(pointer: string, context: string): string {
  let name = ''
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    name += /^\d+$/.test(seg) ? `[${seg}]` : name ? `.${seg}` : seg
  }
  return name || context
}

interface AjvError {
  keyword?: string
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

/** Per instance path, the literals of a failed anyOf made only of `const` branches (a TypeBox union of literals). */
function literalChoices(errors: readonly AjvError[]): Map<string, string[]> {
  const consts = new Map<string, string[]>()
  const other = new Set<string>()
  for (const e of errors) {
    const at = e.instancePath ?? ''
    if (e.keyword === 'const') consts.set(at, [...(consts.get(at) ?? []), String(e.params?.allowedValue)])
    else if (e.keyword !== 'anyOf') other.add(at)
  }
  for (const at of other) consts.delete(at)
  const anyOf = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath ?? ''))
  for (const at of consts.keys()) if (!anyOf.has(at)) consts.delete(at)
  return consts
}

/** Map anything thrown in a request to an AppError. */
export function toAppError(err: unknown, bodyLimit: number, contentType?: string): AppError {
  if (err instanceof AppError) return err
  const e = err as FastifyError & { validation?: unknown[]; validationContext?: string }
  if (e.validation) {
    const context = e.validationContext ?? 'body'
    const errors: { path: string; message: string }[] = []
    const invalidParams: { name: string; reason: string }[] = []
    const choices = literalChoices(e.validation as AjvError[])
    for (const v of e.validation) {
      const item = v as AjvError
      // A union of literals: one "must be one of" instead of a "must be equal to constant" per literal.
      const options = choices.get(item.instancePath ?? '')
      if (options && item.keyword === 'const') continue
      const missing = item.params?.missingProperty
      const extra = item.params?.additionalProperty
      const message =
        options && item.keyword === 'anyOf'
          ? `must be one of ${options.join(', ')}`
          : (item.message ?? 'is invalid')
      const pointer = `${item.instancePath ?? ''}${missing ? `/${missing}` : ''}`
      errors.push({ path: `${context}${pointer}`, message })
      invalidParams.push({
        name: paramName(`${pointer}${typeof extra === 'string' ? `/${extra}` : ''}`, context),
        reason: typeof extra === 'string' ? 'is not a known field' : message,
      })
    }
    const first = errors[0]
    return PlatformErrors.validation(
      first ? `${first.path} ${first.message}` : 'Request is invalid',
      errors,
      invalidParams,
    )
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return PlatformErrors.bodyTooLarge(bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return PlatformErrors.unsupportedMediaType(contentType)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return PlatformErrors.invalidJson('Content-Type is application/json but the body is empty')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('INVALID_CONTENT_LENGTH', 400, 'Content-Length does not match the body')
    case 'FST_ERR_BAD_URL':
      return new AppError('INVALID_URL_ENCODING', 400, 'The request URL is not valid percent-encoded UTF-8')
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError('BAD_REQUEST', 400, 'The request could not be routed')
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return PlatformErrors.invalidJson(`The body is not valid JSON: ${e.message}`)
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return new AppError(e.code ?? 'BAD_REQUEST', e.statusCode, e.message)
  return dependencyFailure(err) ?? PlatformErrors.internal()
}

/** Send `err` as problem+json on `reply`. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: ProblemSource): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v)
  // Errors raised before our onRequest hook (bad URL) still carry the id.
  reply.header('x-request-id', request.id)
  return reply
    .code(err.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(err, request.url.split('?')[0], String(request.id)))
}

export function errorHandler(bodyLimit: number) {
  return function handle(err: unknown, request: FastifyRequest, reply: FastifyReply) {
    const appErr = toAppError(err, bodyLimit, request.headers['content-type'])
    if (appErr.status >= 500) request.log.error({ err }, 'request failed')
    else request.log.debug({ err: appErr.message, code: appErr.code }, 'request rejected')
    return sendProblem(request, reply, appErr)
  }
}
