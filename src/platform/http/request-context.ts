/**
 * Per-request observability: the request id (an incoming `x-request-id` is
 * honoured when it is sane, and echoed back), a server span continuing the
 * caller's W3C trace, and one histogram observation for RED metrics.
 * Nothing here logs at `info`: that would cost a third of the throughput.
 */
import { randomUUID } from 'node:crypto'
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
import type { Metrics } from '../telemetry/metrics.js'
import type { Tracing } from '../telemetry/tracing.js'

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** Fastify's `genReqId`: honour a sane `x-request-id`, else a fresh UUID. */
export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming
  return randomUUID()
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
  const { tracer } = tracing
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
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
    const route = request.routeOptions.url ?? 'unmatched'
    const status = reply.statusCode
    metrics?.httpDuration.observe(
      {
        system: request.routeOptions.config?.system ?? 'platform',
        route,
        method: request.method,
        status_code: status,
      },
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
