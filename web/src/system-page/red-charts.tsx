/** Throughput and latency of one system over the last minutes, from the console's metrics history. */
import { TimeChart } from '../charts/time-chart'
import { POLL_MS } from '../live/live-data'
import { HISTORY_POINTS, type RedPoint } from '../live/metrics-history'
import { formatRate, formatSeconds, formatSecondsTicks } from '../ui/format'

/** The span of the history the console keeps. */
const WINDOW = (HISTORY_POINTS * POLL_MS) / 1000

/** Two charts: requests and 5xx per second, and p99 latency. */
export function RedCharts({ points }: { points: readonly RedPoint[] }) {
  const times = points.map((p) => p.t)
  return (
    <div className="chart-grid">
      <div className="card">
        <TimeChart
          title="Throughput per second"
          times={times}
          series={[
            { label: 'requests', values: points.map((p) => p.rps) },
            { label: '5xx', values: points.map((p) => p.errorsPerSecond) },
          ]}
          format={(v) => formatRate(v)}
          empty="collecting: the first figures arrive after two polls"
          windowSeconds={WINDOW}
        />
      </div>
      <div className="card">
        <TimeChart
          title="Latency, p99"
          times={times}
          series={[{ label: 'p99', values: points.map((p) => p.p99) }]}
          format={(v) => formatSeconds(v)}
          formatTicks={formatSecondsTicks}
          empty="collecting: the first figures arrive after two polls"
          windowSeconds={WINDOW}
        />
      </div>
    </div>
  )
}
