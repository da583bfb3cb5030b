/**
 * Queue depth per state over time, sampled at each poll of the queues:
 * what is pending (waiting, scheduled, active, failed with a retry due) in
 * one chart, and what has finished and is still kept (completed, dead,
 * cancelled) in another, since kept jobs would dwarf the pending ones.
 * For every queue summed, or one.
 */
import { useMemo, useState } from 'react'
import { TimeChart } from '../../charts/time-chart'
import type { JobState } from './api'
import { type DepthSample, depthSeries, HISTORY_SECONDS } from './depth'

const PENDING: JobState[] = ['waiting', 'failed', 'active', 'scheduled']
const FINISHED: JobState[] = ['completed', 'dead', 'cancelled']
const ALL = ''

/** Counts are whole: a fractional axis tick (uPlot's choice for small ranges) gets no label. */
const whole = (v: number | null) => (v === null ? '—' : Number.isInteger(v) ? v.toLocaleString('en') : '')

/** The two depth charts and the queue select. */
export function DepthCharts({ history, queues }: { history: readonly DepthSample[]; queues: string[] }) {
  const [queue, setQueue] = useState(ALL)
  const chosen = queue === ALL ? undefined : queue
  const pending = useMemo(() => depthSeries(history, chosen, PENDING), [history, chosen])
  const finished = useMemo(() => depthSeries(history, chosen, FINISHED), [history, chosen])
  const of = chosen ? `queue ${chosen}` : 'every queue'
  return (
    <section className="card" aria-labelledby="depth-heading" data-testid="depth-charts">
      <div className="section-head">
        <h2 id="depth-heading">Queue depth over time</h2>
        <label className="inline-label">
          Depth of{' '}
          <select value={queue} onChange={(e) => setQueue(e.target.value)}>
            <option value={ALL}>all queues</option>
            {queues.map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted">
        Sampled every 2 s while this page is open (the last {HISTORY_SECONDS / 60} minutes).
      </p>
      <div className="chart-grid">
        <TimeChart
          title={`Pending jobs, ${of}`}
          times={pending.times}
          series={pending.series}
          format={whole}
          windowSeconds={HISTORY_SECONDS}
          empty="no samples yet"
        />
        <TimeChart
          title={`Finished jobs kept, ${of}`}
          times={finished.times}
          series={finished.series}
          format={whole}
          windowSeconds={HISTORY_SECONDS}
          empty="no samples yet"
        />
      </div>
    </section>
  )
}
