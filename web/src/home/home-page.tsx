/** `/`: every running system as a card, and their throughput side by side. */
import { alignSeries } from '../charts/align'
import { TimeChart } from '../charts/time-chart'
import { POLL_MS, useLive } from '../live/live-data'
import { HISTORY_POINTS } from '../live/metrics-history'
import { ErrorBox } from '../ui/error-box'
import { formatRate } from '../ui/format'
import { SystemCard } from './system-card'

/** The home page. */
export function HomePage() {
  const live = useLive()
  if (!live.systems) {
    if (live.error)
      return (
        <ErrorBox title="Cannot load the systems" onRetry={live.retry}>
          {live.error.message}
        </ErrorBox>
      )
    return <p className="muted">Loading the systems…</p>
  }
  if (live.systems.length === 0)
    return (
      <ErrorBox title="No systems are running">
        This server runs no system. Start it without <code>SYSTEMS</code>, or add one to{' '}
        <code>src/systems/index.ts</code>.
      </ErrorBox>
    )
  const throughput = alignSeries(
    live.systems.map((s) => ({ label: s.name, points: live.history.of(s.name) })),
    (p) => p.rps,
  )
  const ready = live.readiness?.ready
  return (
    <>
      <div className="page-head">
        <h1>Systems</h1>
        <p className="muted">
          {live.systems.length} running{ready === false ? ' · the server reports it is not ready' : ''}
        </p>
      </div>
      <section className="cards" aria-label="Running systems">
        {live.systems.map((s) => (
          <SystemCard key={s.name} system={s} />
        ))}
      </section>
      {live.metricsEnabled && (
        <section className="card">
          <TimeChart
            title="Throughput, requests per second"
            times={throughput.times}
            series={throughput.series}
            format={(v) => formatRate(v)}
            empty="collecting: the first figures arrive after two polls"
            windowSeconds={(HISTORY_POINTS * POLL_MS) / 1000}
          />
        </section>
      )}
    </>
  )
}
