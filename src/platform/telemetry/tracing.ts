/**
 * OpenTelemetry tracing with W3C `traceparent` propagation.
 *
 * Trace context is always extracted, created and propagated, so logs carry
 * trace ids and outgoing calls continue the caller's trace. Spans are
 * recorded and exported (OTLP/HTTP) only when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set; otherwise the sampler drops them, which keeps ids but costs almost
 * nothing per request.
 */
import { context, propagation, type Tracer, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base'

export interface Tracing {
  readonly tracer: Tracer
  readonly exporting: boolean
  /** Flush pending spans and stop exporting. */
  shutdown(): Promise<void>
}

let globalsInstalled = false

/** The context manager and propagator are process-wide; install them once. */
function installGlobals(): void {
  if (globalsInstalled) return
  globalsInstalled = true
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}

export function createTracing(opts: { endpoint: string | undefined; serviceName: string }): Tracing {
  installGlobals()
  const exporting = Boolean(opts.endpoint)
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    sampler: exporting ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: exporting
      ? [
          new BatchSpanProcessor(
            new OTLPTraceExporter({ url: `${opts.endpoint!.replace(/\/$/, '')}/v1/traces` }),
          ),
        ]
      : [],
  })
  // Set as global too, so libraries that ask the API for a tracer join the same traces.
  trace.setGlobalTracerProvider(provider)
  return {
    tracer: provider.getTracer('blueprints'),
    exporting,
    shutdown: () => provider.shutdown(),
  }
}
