/**
 * Live figures per route from the metrics the gateway exports on `/metrics` (the console's live
 * data scrapes it every two seconds): `gateway_proxy_duration_seconds{route, service, status}`
 * summed per route, and two scrapes make the request rate, the 4xx and 5xx rates and the p99
 * (the same interpolation as the system pages' charts, metrics/red.ts); and
 * `gateway_target_healthy{target}`, each target in or out of rotation.
 */
import type { Sample } from '../../metrics/prometheus'
import { histogramQuantile } from '../../metrics/red'

const METRIC = 'gateway_proxy_duration_seconds'

export interface RouteCounters {
  service: string
  count: number
  clientErrors: number
  errors: number
  /** Cumulative bucket counts by upper bound (seconds), +Inf included. */
  buckets: Map<number, number>
}

export interface RouteRates {
  route: string
  service: string
  rps: number
  clientErrorsPerSecond: number
  errorsPerSecond: number
  /** Seconds; null without requests in the interval. */
  p99: number | null
  /** Requests since the process started. */
  total: number
}

/**
 * The histogram summed per `route` label (an empty label: requests no route matched), of
 * `workspace` only when given (series without a workspace label count as `default`).
 */
export function countersByRoute(samples: readonly Sample[], workspace?: string): Map<string, RouteCounters> {
  const out = new Map<string, RouteCounters>()
  for (const s of samples) {
    if (!s.name.startsWith(METRIC)) continue
    if (workspace !== undefined && (s.labels.workspace || 'default') !== workspace) continue
    const route = s.labels.route ?? ''
    let c = out.get(route)
    if (!c) {
      c = { service: s.labels.service ?? '', count: 0, clientErrors: 0, errors: 0, buckets: new Map() }
      out.set(route, c)
    }
    if (s.name === `${METRIC}_count`) {
      c.count += s.value
      const status = Number(s.labels.status)
      if (status >= 500) c.errors += s.value
      else if (status >= 400) c.clientErrors += s.value
    } else if (s.name === `${METRIC}_bucket` && s.labels.le !== undefined) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
      c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value)
    }
  }
  return out
}

/**
 * Rates per route between two scrapes `seconds` apart. A route new since the first scrape counts
 * from zero; a counter that went down (a restart) counts its whole value, as Prometheus' rate().
 */
export function routeRates(
  prev: Map<string, RouteCounters> | undefined,
  cur: Map<string, RouteCounters>,
  seconds: number,
): RouteRates[] {
  const dt = seconds > 0 ? seconds : 1
  return [...cur].map(([route, c]) => {
    const p = prev?.get(route)
    const reset = !p || c.count < p.count
    const d = (now: number, before: number | undefined) => (reset ? now : now - (before ?? 0))
    const requests = d(c.count, p?.count)
    const buckets: [number, number][] = [...c.buckets].map(([le, n]) => [le, d(n, p?.buckets.get(le))])
    return {
      route,
      service: c.service,
      rps: requests / dt,
      clientErrorsPerSecond: d(c.clientErrors, p?.clientErrors) / dt,
      errorsPerSecond: d(c.errors, p?.errors) / dt,
      p99: requests > 0 ? histogramQuantile(0.99, buckets) : null,
      total: c.count,
    }
  })
}

/** Each target's health from `gateway_target_healthy`: target (host:port) -> in rotation. */
export function targetHealth(samples: readonly Sample[]): Map<string, boolean> {
  const out = new Map<string, boolean>()
  for (const s of samples)
    if (s.name === 'gateway_target_healthy' && s.labels.target !== undefined)
      out.set(s.labels.target, s.value === 1)
  return out
}
