/**
 * Fastify builds a child logger per request (binding the request id) even
 * when nothing will log; that was ~3% of a trivial route. This factory
 * returns a stand-in that creates the real child only when a method that
 * could write is called at an enabled level.
 *
 * It is a class on purpose: per-request closures are not free here (tsx
 * wraps every function it creates with a name-keeping helper), while
 * prototype methods cost nothing per instance.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type LogFn = (...args: unknown[]) => void

class LazyChildLogger {
  private real: Logger | undefined

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    this.real ??= this.parent.child(this.bindings, this.opts)
    return this.real
  }

  get level(): string {
    return (this.real ?? this.parent).level
  }

  set level(level: string) {
    this.logger.level = level
  }

  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level)
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, opts)
  }

  silent(): void {}

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    if (this.parent.isLevelEnabled(level)) (this.logger[level] as LogFn)(...args)
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
}

/** Fastify's `childLoggerFactory`: a child that is built on first use. */
export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(parent as unknown as Logger, bindings, opts) as unknown as FastifyBaseLogger
}
