/**
 * Continuing the trace a job was enqueued in. The job row keeps the W3C
 * traceparent of the request (or transaction) that created it; the worker
 * runs the handler inside that context, so logs written by the handler carry
 * the trace id, and, when spans are exported, a `job <task>` span is a child
 * of the enqueueing span. Jobs without a traceparent pay nothing.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import type { Tracing } from '../telemetry/tracing.js'
import type { FetchedJob } from './types.js'

/** Run `fn` inside the job's trace context (and a consumer span when exporting). */
export function withJobTrace<T>(tracing: Tracing, job: FetchedJob, fn: () => Promise<T>): Promise<T> {
  if (!job.traceparent) return fn()
  const parent = propagation.extract(ROOT_CONTEXT, { traceparent: job.traceparent })
  if (!tracing.exporting) return context.with(parent, fn)
  const span = tracing.tracer.startSpan(
    `job ${job.task}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'blueprints-jobs',
        'messaging.message.id': job.id,
        'job.queue': job.queue,
      },
    },
    parent,
  )
  return context.with(trace.setSpan(parent, span), fn).finally(() => span.end())
}

/** The traceparent of the active context (to store on a job enqueued now), if any. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent
}
