/**
 * Kong's health checks of an upstream's targets.
 *
 * - Passive (circuit breaker): the proxy reports each outcome; a target whose consecutive TCP
 *   failures, timeouts or failing statuses reach the configured count leaves rotation. With passive
 *   checks only, it comes back when enough successes are seen... which needs traffic, so Kong (and we)
 *   pair them with active checks.
 * - Active: every `healthy.interval` seconds each healthy target is probed (GET `http_path`), every
 *   `unhealthy.interval` seconds each unhealthy one; the same counters decide.
 * A count of 0 turns that kind of check off, as in Kong (every count defaults to 0: no checks).
 */
import { request } from 'undici'
import type { HealthChecks } from '../config/types.js'
import type { TargetState } from './target.js'

export type Outcome = { kind: 'tcp' } | { kind: 'timeout' } | { kind: 'http'; status: number }

interface Thresholds {
  healthy: { http_statuses: number[]; successes: number }
  unhealthy: { http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number }
}

export interface HealthEvents {
  onChange?(target: TargetState, healthy: boolean, why: string): void
}

/** Apply one outcome to a target's counters under `th`; true when its state changed. */
export function record(t: TargetState, o: Outcome, th: Thresholds, events: HealthEvents): void {
  const set = (healthy: boolean, why: string) => {
    if (t.healthy === healthy) return
    t.healthy = healthy
    t.resetCounters()
    events.onChange?.(t, healthy, why)
  }
  if (o.kind === 'http' && th.healthy.http_statuses.includes(o.status)) {
    t.tcpFailures = 0
    t.timeouts = 0
    t.httpFailures = 0
    t.successes++
    if (!t.healthy && th.healthy.successes > 0 && t.successes >= th.healthy.successes)
      set(true, `${t.successes} successes`)
    return
  }
  t.successes = 0
  if (o.kind === 'tcp') {
    t.tcpFailures++
    if (th.unhealthy.tcp_failures > 0 && t.tcpFailures >= th.unhealthy.tcp_failures)
      set(false, `${t.tcpFailures} TCP failures`)
  } else if (o.kind === 'timeout') {
    t.timeouts++
    if (th.unhealthy.timeouts > 0 && t.timeouts >= th.unhealthy.timeouts) set(false, `${t.timeouts} timeouts`)
  } else if (th.unhealthy.http_statuses.includes(o.status)) {
    t.httpFailures++
    if (th.unhealthy.http_failures > 0 && t.httpFailures >= th.unhealthy.http_failures)
      set(false, `${t.httpFailures} failing statuses (last ${o.status})`)
  }
}

export class ActiveChecker {
  private timers: NodeJS.Timeout[] = []
  private stopped = false

  constructor(
    private readonly checks: HealthChecks,
    private readonly targets: TargetState[],
    private readonly events: HealthEvents,
  ) {}

  get enabled(): boolean {
    const a = this.checks.active
    return a.healthy.interval > 0 || a.unhealthy.interval > 0
  }

  start(): void {
    const a = this.checks.active
    if (a.healthy.interval > 0) this.loop(a.healthy.interval, true)
    if (a.unhealthy.interval > 0) this.loop(a.unhealthy.interval, false)
  }

  private loop(intervalS: number, healthy: boolean): void {
    const tick = async () => {
      if (this.stopped) return
      await Promise.all(
        this.targets.filter((t) => t.healthy === healthy && t.weight > 0).map((t) => this.probe(t)),
      )
      if (!this.stopped) this.timers.push(setTimeout(tick, intervalS * 1000).unref())
    }
    this.timers.push(setTimeout(tick, intervalS * 1000).unref())
  }

  async probe(t: TargetState): Promise<void> {
    const a = this.checks.active
    const timeoutMs = a.timeout * 1000
    let outcome: Outcome
    try {
      const res = await request(`${t.origin}${a.http_path}`, {
        method: 'GET',
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        reset: true,
      })
      await res.body.dump()
      outcome = { kind: 'http', status: res.statusCode }
    } catch (err) {
      const code = (err as { code?: string; name?: string }).code ?? (err as { name?: string }).name
      outcome =
        code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT'
          ? { kind: 'timeout' }
          : { kind: 'tcp' }
    }
    if (!this.stopped) record(t, outcome, a, this.events)
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers = []
  }
}
