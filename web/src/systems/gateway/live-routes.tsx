/**
 * Live traffic through the gateway per route: requests, 4xx and 5xx per second and the p99 of
 * the last interval, from the scrape of `/metrics` the console already makes every two seconds
 * (route-metrics.ts), and a chart of the whole gateway's rate over the last minutes.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { TimeChart } from '../../charts/time-chart'
import { useLive } from '../../live/live-data'
import { formatRate, formatSeconds } from '../../ui/format'
import type { GatewayConfig } from './api'
import { countersByRoute, type RouteCounters, type RouteRates, routeRates } from './route-metrics'

const KEEP = 150

interface Point {
  t: number
  rps: number
  errors: number
}

/** The card. */
export function LiveRoutes({ config, workspace }: { config: GatewayConfig | undefined; workspace: string }) {
  const { samples, updatedAt, metricsEnabled } = useLive()
  const last = useRef<{ at: number; counters: Map<string, RouteCounters>; workspace: string }>(undefined)
  const [rates, setRates] = useState<RouteRates[]>([])
  const [points, setPoints] = useState<Point[]>([])

  useEffect(() => {
    if (updatedAt === undefined) return
    const counters = countersByRoute(samples, workspace)
    const prev = last.current
    last.current = { at: updatedAt, counters, workspace }
    // Another workspace's counters are no baseline for this one's.
    if (!prev || updatedAt <= prev.at || prev.workspace !== workspace) return
    const next = routeRates(prev.counters, counters, (updatedAt - prev.at) / 1000)
    setRates(next)
    setPoints((p) =>
      [
        ...p,
        {
          t: updatedAt / 1000,
          rps: next.reduce((n, r) => n + r.rps, 0),
          errors: next.reduce((n, r) => n + r.errorsPerSecond, 0),
        },
      ].slice(-KEEP),
    )
  }, [samples, updatedAt, workspace])

  const routeName = (id: string) =>
    id === '' ? '(no route matched)' : (config?.routes.find((r) => r.id === id)?.name ?? id.slice(0, 8))
  const serviceName = (id: string) =>
    config?.services.find((s) => s.id === id)?.name ?? (id ? id.slice(0, 8) : '—')
  const series = useMemo(
    () => [
      { label: 'requests/s', values: points.map((p) => p.rps) },
      { label: '5xx/s', values: points.map((p) => p.errors) },
    ],
    [points],
  )
  const proxyPort = config?.info.configuration.proxy_listeners[0]?.port
  const sorted = [...rates].sort((a, b) => b.total - a.total)

  return (
    <section className="card" aria-labelledby="traffic-heading">
      <h2 id="traffic-heading">Traffic per route</h2>
      {proxyPort !== undefined && (
        <p className="muted">
          The proxy listens on port {proxyPort}:{' '}
          <code>
            curl -i {window.location.hostname}:{proxyPort}/demo
          </code>
        </p>
      )}
      {!metricsEnabled && (
        <p className="form-error">This server serves no /metrics (METRICS_ENABLED=false).</p>
      )}
      <TimeChart
        title="Through the gateway"
        times={points.map((p) => p.t)}
        series={series}
        format={formatRate}
        windowSeconds={300}
        empty="No proxied requests yet."
      />
      {sorted.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="table-wrap" aria-label="Rates per route" tabIndex={0}>
          <table data-testid="route-rates" className="stack-on-phone">
            <caption className="sr-only">Requests per route over the last two seconds</caption>
            <thead>
              <tr>
                <th scope="col">route</th>
                <th scope="col">service</th>
                <th scope="col" className="num">
                  req/s
                </th>
                <th scope="col" className="num">
                  4xx/s
                </th>
                <th scope="col" className="num">
                  5xx/s
                </th>
                <th scope="col" className="num">
                  p99
                </th>
                <th scope="col" className="num">
                  total
                </th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((r) => (
                <tr key={r.route} data-route-rate={routeName(r.route)}>
                  <td>{routeName(r.route)}</td>
                  <td data-label="service">{serviceName(r.service)}</td>
                  <td className="num" data-label="req/s">
                    {formatRate(r.rps)}
                  </td>
                  <td className="num" data-label="4xx/s">
                    {formatRate(r.clientErrorsPerSecond)}
                  </td>
                  <td className="num" data-label="5xx/s">
                    {formatRate(r.errorsPerSecond)}
                  </td>
                  <td className="num" data-label="p99">
                    {r.p99 === null ? '—' : formatSeconds(r.p99)}
                  </td>
                  <td className="num" data-label="total">
                    {r.total.toLocaleString('en')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  )
}
