/** One system on the home page: health, live RED figures, and where to go next. */

import { useLive } from '../live/live-data'
import { healthOf } from '../live/readiness'
import type { SystemInfo } from '../live/systems'
import { Link, systemPath } from '../router'
import { formatPercent, formatRate, formatSeconds } from '../ui/format'
import { StatusBadge } from '../ui/status-badge'

/** The card of `system`. */
export function SystemCard({ system }: { system: SystemInfo }) {
  const live = useLive()
  const names = live.systems?.map((s) => s.name) ?? []
  const health = live.error
    ? { state: 'unknown' as const, failing: [] }
    : healthOf(system.name, live.readiness, names)
  const point = live.history.latest(system.name)
  const headingId = `system-${system.name}`
  return (
    <article
      className={`card system-card card-${health.state}`}
      aria-labelledby={headingId}
      data-system={system.name}
    >
      <div className="card-head">
        <h2 id={headingId}>
          <Link href={systemPath(system.name)}>{system.name}</Link>
        </h2>
        <StatusBadge health={health} />
      </div>
      <p className="description">{system.description}</p>
      {live.metricsEnabled ? (
        <dl className="stats">
          <div>
            <dt>Requests</dt>
            <dd>{point ? `${formatRate(point.rps)}/s` : '—'}</dd>
          </div>
          <div>
            <dt>Errors (5xx)</dt>
            <dd>{formatPercent(point?.errorRatio)}</dd>
          </div>
          <div>
            <dt>p99 latency</dt>
            <dd>{formatSeconds(point?.p99)}</dd>
          </div>
        </dl>
      ) : (
        <p className="muted">Metrics are off on this server (METRICS_ENABLED=false).</p>
      )}
      <p className="card-links">
        <Link href={systemPath(system.name)}>Open {system.name}</Link>
        <a href={`/docs#/${encodeURIComponent(system.name)}`}>API docs</a>
      </p>
    </article>
  )
}
