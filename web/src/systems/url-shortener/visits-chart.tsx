/** Visits over time, of one short URL or of all, as bars per minute, hour or day. */
import { useMemo } from 'react'
import { TimeChart } from '../../charts/time-chart'
import type { Visit } from './api'
import { bucketVisits } from './visits'

const BIN_NAMES: Record<number, string> = { 60: 'minute', 3600: 'hour', 86400: 'day' }

/** The visits chart. */
export function VisitsChart({ visits, total, of }: { visits: readonly Visit[]; total: number; of?: string }) {
  const { times, counts, bin } = useMemo(() => bucketVisits(visits, Date.now()), [visits])
  const series = useMemo(() => [{ label: 'visits', values: counts }], [counts])
  const subject = of ? `of ${of}` : 'of every short URL'
  return (
    <div className="card" data-testid="visits-chart">
      <TimeChart
        title={`Visits ${subject} per ${BIN_NAMES[bin] ?? `${bin} s`} (${total.toLocaleString('en')} in all${
          total > visits.length ? `, newest ${visits.length.toLocaleString('en')} shown` : ''
        })`}
        times={times}
        series={series}
        bars
        format={(v) => (v === null ? '—' : String(Math.round(v)))}
      />
    </div>
  )
}
