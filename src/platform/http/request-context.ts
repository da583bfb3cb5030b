/**
 * Per-request observability: the request id (an incoming `x-request-id` is
 * honoured when it is sane, and echoed back), trace context, and one
 * histogram observation for RED metrics. Nothing here logs at `info`.
 *
 * Cost matters here, since it runs on every request. When spans are not
 * exported and the caller sent no `traceparent`, there is no trace to
 * continue or record, so no span is started and no async context is
 * entered (together ~10% of a trivial route's throughput on Node 20).
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { CONSOLE_CLIENT_HEADER, type Metrics } from '../telemetry/metrics.js'
import type { Tracing } from '../telemetry/tracing.js'

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/
// A random per-process prefix and a counter: unique across processes, without a UUID per request.
const ID_PREFIX = randomBytes(6).toString('hex')
let idCounter = 0

/** Fastify's `genReqId`: honour a sane `x-request-id`, else a fresh process-unique id. */
export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER
  return `${ID_PREFIX}-${idCounter.toString(36)}`
}

declare module 'fastify' {
  interface FastifyRequest {
    span?: Span
  }
  interface FastifyContextConfig {
    /** The system that owns the route, for metric labels. */
    system?: string
  }
}

const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
}

export function installRequestContext(
  app: FastifyInstance,
  tracing: Tracing,
  metrics: Metrics | undefined,
): void {
  const { tracer, exporting } = tracing
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    if (!exporting && request.headers.traceparent === undefined) return done()
    const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter)
    const span = tracer.startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url },
      },
      parent,
    )
    request.span = span
    // Everything after this hook (handler, hooks, awaits) runs inside the span's context.
    context.with(trace.setSpan(parent, span), done)
  })

  app.addHook('onResponse', (request, reply, done) => {
    // routeOptions is a getter that builds a fresh object: read it once.
    const config = request.routeOptions.config
    const route = config?.url ?? 'unmatched'
    const status = reply.statusCode
    // The console's own requests are kept apart, so its polling is not shown as the system's traffic.
    const histogram =
      request.headers[CONSOLE_CLIENT_HEADER] === 'console' ? metrics?.consoleDuration : metrics?.httpDuration
    histogram?.observeRoute(
      config,
      config?.system ?? 'platform',
      route,
      request.method,
      status,
      reply.elapsedTime / 1000,
    )
    const span = request.span
    if (span) {
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', status)
        span.setAttribute('http.route', route)
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      }
      span.end()
    }
    done()
  })
}
