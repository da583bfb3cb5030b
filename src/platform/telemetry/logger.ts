/**
 * pino JSON logs. Each line carries the active trace and span ids, so a log
 * line can be joined to its trace. Hot paths log nothing at `info`: a line
 * per request costs 35-40% of throughput; request lines are at `debug`.
 */
import { trace } from '@opentelemetry/api'
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger } from 'pino'

/** The process logger; `destination` defaults to stdout (tests pass a capture stream). */
export function createLogger(level: string, name = 'blueprints', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext()
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {}
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
      censor: '***',
    },
  } satisfies LoggerOptions
  return destination ? pino(options, destination) : pino(options)
}
