/**
 * A circuit breaker per target (cockatiel): after `failures` consecutive failed calls (no answer,
 * or a 5xx answer) the target gets no requests for `halfOpenMs`; then one request probes it, and
 * its success closes the breaker again. Unlike Kong's passive health checks, which need active
 * probes to bring a target back, a breaker recovers by itself, and it also covers a service
 * without an upstream (one target, where there is nothing to fail over to but fast 503s).
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel'

export interface BreakerOptions {
  /** Consecutive failures that open the breaker; 0: no breakers. */
  failures: number
  halfOpenMs: number
}

/** The result of a call through a breaker: a status, 0 when the call threw. */
const failedStatus = (r: unknown) => typeof r === 'number' && r >= 500

export function newBreaker(o: BreakerOptions): CircuitBreakerPolicy | undefined {
  if (o.failures <= 0) return undefined
  return circuitBreaker(handleAll.orWhenResult(failedStatus), {
    halfOpenAfter: o.halfOpenMs,
    breaker: new ConsecutiveBreaker(o.failures),
  })
}

/** Whether the breaker refuses calls now (open, or half-open with its probe under way). */
export function isOpen(b: CircuitBreakerPolicy | undefined): boolean {
  return b !== undefined && b.state === CircuitState.Open
}

export function breakerState(b: CircuitBreakerPolicy | undefined): 'closed' | 'open' | 'half-open' | 'off' {
  if (!b) return 'off'
  switch (b.state) {
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'open'
    case CircuitState.HalfOpen:
      return 'half-open'
    default:
      return 'closed'
  }
}

export { BrokenCircuitError }
