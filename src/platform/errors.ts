/**
 * Domain errors and their RFC 9457 problem+json rendering. A system throws
 * `AppError` with a stable code (`URL_SHORTENER_SLUG_TAKEN`); the HTTP error
 * handler turns it into a problem document. Expected outcomes (over a limit,
 * not found in a lookup) are results, not errors.
 */

export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  code?: string
  requestId?: string
  [extension: string]: unknown
}

/** One field a problem is about (RFC 9457 section 3's `invalid-params`, in this API's camelCase). */
export interface InvalidParam {
  /** The field as the client writes it: `runAt`, `payload.url`, `jobs[2].task`. */
  name: string
  /** What is wrong with it: `must be an integer between 1 and 1000`. */
  reason: string
}

/** A 4xx about named fields: the problem carries them in `invalidParams`, and the detail says `<name> <reason>`. */
export function invalidParams(
  code: string,
  status: number,
  params: InvalidParam[],
  detail?: string,
): AppError {
  const message = detail ?? params.map((p) => `${p.name} ${p.reason}`).join('; ')
  return new AppError(code, status, message, { extensions: { invalidParams: params } })
}

export interface AppErrorOptions {
  /** A URI naming the problem type; defaults to `about:blank`-style `/problems/<code>`. */
  type?: string
  /** Extra members merged into the problem document (RFC 9457 extensions). */
  extensions?: Record<string, unknown>
  /** Response headers to set, e.g. `Retry-After`, `Allow`. */
  headers?: Record<string, string>
  cause?: unknown
}

export class AppError extends Error {
  override name = 'AppError'
  readonly type: string | undefined
  readonly extensions: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super(message, { cause: opts.cause })
    this.type = opts.type
    this.extensions = opts.extensions ?? {}
    this.headers = opts.headers ?? {}
  }
}

/** Reason phrases for the statuses the platform emits itself. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')
}

/** The platform's own error catalog; systems keep theirs in their README. */
export const PlatformErrors = {
  notFound: (path: string) => new AppError('NOT_FOUND', 404, `No route matches ${path}`),
  methodNotAllowed: (method: string, path: string, allow: string[]) =>
    new AppError(
      'METHOD_NOT_ALLOWED',
      405,
      `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`,
      {
        headers: { allow: allow.join(', ') },
      },
    ),
  /** `errors`: ajv's view (`path`, `message`); `invalidParams`: RFC 9457's (`name` as the client writes it, `reason`). */
  validation: (message: string, errors: unknown[], invalidParams: InvalidParam[] = []) =>
    new AppError('VALIDATION_FAILED', 400, message, { extensions: { errors, invalidParams } }),
  invalidJson: (message: string) => new AppError('INVALID_JSON', 400, message),
  invalidUtf8: () => new AppError('INVALID_UTF8', 400, 'The request body is not valid UTF-8'),
  bodyTooLarge: (limit: number) =>
    new AppError('BODY_TOO_LARGE', 413, `The request body exceeds the limit of ${limit} bytes`),
  unsupportedMediaType: (type: string | undefined) =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', 415, `Content-Type ${type ?? '(none)'} is not accepted here`),
  dependencyDown: (name: string, detail: string) =>
    new AppError('DEPENDENCY_UNAVAILABLE', 503, `${name} is unavailable: ${detail}`, {
      extensions: { dependency: name },
    }),
  shuttingDown: () =>
    new AppError('SHUTTING_DOWN', 503, 'The server is shutting down', { headers: { connection: 'close' } }),
  internal: () => new AppError('INTERNAL', 500, 'An unexpected error occurred; it has been logged'),
} as const

/** What a problem document is rendered from: an AppError, or a plain object on hot paths (no stack capture). */
export type ProblemSource = Pick<AppError, 'code' | 'status' | 'message' | 'type' | 'extensions' | 'headers'>

/** A problem source without an Error behind it: for hot or pre-request paths where a stack trace is waste. */
export function plainProblem(code: string, status: number, message: string): ProblemSource {
  return { code, status, message, type: undefined, extensions: {}, headers: {} }
}

/** Render an AppError as an RFC 9457 problem document. */
export function toProblem(err: ProblemSource, instance?: string, requestId?: string): ProblemDetails {
  return {
    ...err.extensions,
    type: err.type ?? `/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: titleFor(err.status),
    status: err.status,
    detail: err.message,
    ...(instance !== undefined && { instance }),
    code: err.code,
    ...(requestId !== undefined && { requestId }),
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'
