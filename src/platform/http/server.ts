/**
 * The Fastify factory every process uses: TypeBox schemas, request ids,
 * limits, problem+json for every error (404, 405, 413, 415, 431,
 * validation, bad JSON, invalid UTF-8), tracing and RED metrics, health,
 * Prometheus `/metrics`, and OpenAPI. Systems register into it; `listen` is
 * left to the caller so tests use `inject()`.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify'
import type { Config } from '../config.js'
import { PROBLEM_CONTENT_TYPE, type ProblemSource, plainProblem, toProblem } from '../errors.js'
import { lazyChildLogger } from '../telemetry/lazy-logger.js'
import type { Logger } from '../telemetry/logger.js'
import type { Metrics } from '../telemetry/metrics.js'
import type { Tracing } from '../telemetry/tracing.js'
import { installCors } from './cors.js'
import { errorHandler, sendProblem, toAppError } from './error-handler.js'
import { healthRoutes, type ReadinessCheck } from './health.js'
import { installJsonParser } from './json-parser.js'
import { installNotFound } from './not-found.js'
import { installOpenApi } from './openapi.js'
import { genReqId, installRequestContext } from './request-context.js'
import { installStorableTextGuard } from './storable-text.js'
import type { TypedApp } from './types.js'

export interface HttpServerOptions {
  config: Config
  logger: Logger
  metrics: Metrics
  tracing: Tracing
  /** Named readiness checks, read at each `/readyz` call. */
  readiness: () => Record<string, ReadinessCheck>
  isClosing: () => boolean
  systems: { name: string; description: string }[]
}

/** Answer errors Node raises before Fastify sees a request (oversized head, garbage) as problem+json. */
/** The errors Node raises on a socket before a request exists, as problem sources. */
const SOCKET_ERRORS: Record<string, ProblemSource> = {
  HPE_HEADER_OVERFLOW: plainProblem('HEADERS_TOO_LARGE', 431, 'The request head exceeds the server limit'),
  ERR_HTTP_REQUEST_TIMEOUT: plainProblem('REQUEST_TIMEOUT', 408, 'The request was not received in time'),
}
const MALFORMED = plainProblem('MALFORMED_REQUEST', 400, 'The request is not valid HTTP')

function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const problem = toProblem((err.code && SOCKET_ERRORS[err.code]) || MALFORMED)
  const body = JSON.stringify(problem)
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

export async function createHttpServer(opts: HttpServerOptions): Promise<TypedApp> {
  const { config, logger, metrics, tracing } = opts
  const app = Fastify({
    loggerInstance: logger,
    // Request lines are off: at info they would cost a third of the throughput.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId,
    childLoggerFactory: (logger, bindings, childOpts) => lazyChildLogger(logger, bindings, childOpts),
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeoutMs,
    http: { maxHeaderSize: config.maxHeaderSize },
    clientErrorHandler,
    routerOptions: { maxParamLength: 2048 },
    // Unknown body fields are refused where a schema says `additionalProperties: false` (our own
    // APIs), not silently dropped (Fastify's default); protocol schemas leave it open.
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    frameworkErrors: (err: FastifyError, request, reply) => {
      sendProblem(request, reply, toAppError(err, config.bodyLimit))
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setErrorHandler(errorHandler(config.bodyLimit))
  const base = app as unknown as FastifyInstance
  installJsonParser(base)
  // Only JSON by default: a text body sent to a JSON route is a 415, not a confusing validation error.
  base.removeContentTypeParser('text/plain')
  installNotFound(base)
  installStorableTextGuard(base)
  installRequestContext(base, tracing, config.metricsEnabled ? metrics : undefined)
  installCors(base, config.corsOrigins)
  await installOpenApi(base, opts.systems)
  await app.register(healthRoutes(opts.readiness, opts.isClosing))
  if (config.metricsEnabled)
    app.get(
      '/metrics',
      { schema: { tags: ['platform'], summary: 'Prometheus metrics' } },
      async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    )
  return app as unknown as TypedApp
}
