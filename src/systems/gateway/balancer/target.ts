import type { CircuitBreakerPolicy } from 'cockatiel'
import { CircuitState } from 'cockatiel'

/** One upstream target's live state: address, weight, health and load, kept across reloads. */
export class TargetState {
  healthy = true
  /** Its circuit breaker (balancer/breaker.ts), when breakers are on. */
  breaker: CircuitBreakerPolicy | undefined
  /** While its breaker is open: the performance.now() at which it may be probed; 0 otherwise. */
  breakerUntil = 0
  /** Requests in flight to it (least-connections). */
  active = 0
  /** Smoothed response time in ms (latency algorithm), 0 until measured. */
  ewmaMs = 0
  /** Smooth weighted round robin's running weight. */
  current = 0
  // Kong's counters: consecutive outcomes of each kind since the last change of state.
  tcpFailures = 0
  timeouts = 0
  httpFailures = 0
  successes = 0

  constructor(
    /** `<upstream name>/<host:port>`: the identity health is kept under across reloads. */
    readonly key: string,
    readonly host: string,
    readonly port: number,
    public weight: number,
  ) {}

  /** Attach a breaker; its openings take the target out of rotation until the probe is due. */
  attachBreaker(b: CircuitBreakerPolicy | undefined, halfOpenMs: number): void {
    this.breaker = b
    b?.onStateChange((state) => {
      this.breakerUntil = state === CircuitState.Open ? performance.now() + halfOpenMs : 0
    })
  }

  /** Whether the balancer may pick it (healthy, weighted in, breaker not open). */
  get usable(): boolean {
    return (
      this.healthy && this.weight > 0 && (this.breakerUntil === 0 || this.breakerUntil <= performance.now())
    )
  }

  get origin(): string {
    return `http://${this.host}:${this.port}`
  }

  resetCounters(): void {
    this.tcpFailures = 0
    this.timeouts = 0
    this.httpFailures = 0
    this.successes = 0
  }

  observeLatency(ms: number): void {
    // Peak-sensitive EWMA: a slower answer counts at once, a faster one decays in.
    this.ewmaMs = this.ewmaMs === 0 || ms > this.ewmaMs ? ms : this.ewmaMs * 0.8 + ms * 0.2
  }
}

/** Split `host:port` (IPv6 in brackets). */
export function splitHostPort(target: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(target)
  if (!m) return { host: target, port: defaultPort }
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort }
}
