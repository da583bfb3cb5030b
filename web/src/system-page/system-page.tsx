/**
 * `/console/<system>`: what every system's page has (health, live
 * throughput and latency, a link to its API docs), then the page the
 * system's own folder contributes through the registry, if it has one.
 */
import { Suspense } from 'react'
import { useLive } from '../live/live-data'
import { healthOf } from '../live/readiness'
import { Link } from '../router'
import { systemPages } from '../systems/registry'
import { ErrorBoundary } from '../ui/error-boundary'
import { ErrorBox } from '../ui/error-box'
import { StatusBadge } from '../ui/status-badge'
import { RedCharts } from './red-charts'

/** The page of the system called `name`. */
export function SystemPage({ name }: { name: string }) {
  const live = useLive()
  if (!live.systems) {
    if (live.error)
      return (
        <ErrorBox title="Cannot load the systems" onRetry={live.retry}>
          {live.error.message}
        </ErrorBox>
      )
    return <p className="muted">Loading…</p>
  }
  const system = live.systems.find((s) => s.name === name)
  if (!system)
    return (
      <ErrorBox title={`No system called “${name}” runs here`}>
        It may be left out by <code>SYSTEMS</code>. <Link href="/">See every running system</Link>.
      </ErrorBox>
    )
  const health = live.error
    ? { state: 'unknown' as const, failing: [] }
    : healthOf(
        name,
        live.readiness,
        live.systems.map((s) => s.name),
      )
  const Own = systemPages[name]
  return (
    <>
      <div className="page-head">
        <p className="crumbs">
          <Link href="/">Systems</Link> / {name}
        </p>
        <h1>{name}</h1>
        <p className="muted">{system.description}</p>
        <div className="page-head-row">
          <StatusBadge health={health} />
          <a href={`/docs#/${encodeURIComponent(name)}`}>API docs</a>
        </div>
      </div>
      {live.metricsEnabled && <RedCharts points={live.history.of(name)} />}
      {Own ? (
        <ErrorBoundary>
          <Suspense fallback={<p className="muted">Loading the {name} page…</p>}>
            <Own system={system} />
          </Suspense>
        </ErrorBoundary>
      ) : (
        <p className="muted">
          This system has no page of its own in the console yet; its whole API is in the{' '}
          <a href={`/docs#/${encodeURIComponent(name)}`}>API docs</a>.
        </p>
      )}
    </>
  )
}
