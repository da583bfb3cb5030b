/**
 * Live allowed and limited decisions per second for each rule, polled from
 * /rate-limiter/stats every two seconds: a chart for the chosen rule (all
 * rules summed by default) and a table of every rule's current rates and
 * totals, plus where decisions are being taken (Redis, memory, or the
 * failure modes while Redis is away).
 */
import { useEffect, useMemo, useState } from 'react'
import { TimeChart } from '../../charts/time-chart'
import { ErrorBox } from '../../ui/error-box'
import { formatRate } from '../../ui/format'
import { type Stats, stats } from './api'
import { addSnapshot, emptyHistory, type RatePoint } from './rates'

const POLL_MS = 2_000
const ALL = ''

function sum(history: Map<string, RatePoint[]>): RatePoint[] {
  const byTime = new Map<number, RatePoint>()
  for (const points of history.values())
    for (const p of points) {
      const q = byTime.get(p.t) ?? { t: p.t, allowed: 0, limited: 0 }
      byTime.set(p.t, { t: p.t, allowed: q.allowed + p.allowed, limited: q.limited + p.limited })
    }
  return [...byTime.values()].sort((a, b) => a.t - b.t)
}

const STORE_TEXT: Record<Stats['store'], string> = {
  redis: 'Decisions are shared through Redis (exact across processes).',
  memory: 'Decisions are kept in this process (no REDIS_URL).',
  fallback: 'Redis is unreachable: each rule’s failure mode is deciding.',
}

/** The live view. */
export function LiveRates() {
  const [history, setHistory] = useState(emptyHistory)
  const [latest, setLatest] = useState<Stats>()
  const [error, setError] = useState<string>()
  const [rule, setRule] = useState(ALL)
  const [attempt, setAttempt] = useState(0)

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` restarts the polling after an error (Retry)
  useEffect(() => {
    const ctl = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      try {
        const s = await stats(ctl.signal)
        setLatest(s)
        setError(undefined)
        setHistory((h) => addSnapshot(h, Date.now() / 1000, s.rules))
      } catch (err) {
        if (!ctl.signal.aborted) setError(err instanceof Error ? err.message : String(err))
      }
      if (!ctl.signal.aborted) timer = setTimeout(poll, POLL_MS)
    }
    void poll()
    return () => {
      ctl.abort()
      clearTimeout(timer)
    }
  }, [attempt])

  const points = useMemo(
    () => (rule === ALL ? sum(history.points) : (history.points.get(rule) ?? [])),
    [history, rule],
  )
  const series = useMemo(
    () => [
      { label: 'allowed/s', values: points.map((p) => p.allowed) },
      { label: 'limited/s', values: points.map((p) => p.limited) },
    ],
    [points],
  )
  const rules = latest?.rules ?? []

  return (
    <section className="card" aria-labelledby="live-heading">
      <div className="section-head">
        <h2 id="live-heading">Decisions per second</h2>
        <label>
          Rule{' '}
          <select value={rule} onChange={(e) => setRule(e.target.value)}>
            <option value={ALL}>all rules</option>
            {rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <ErrorBox
          title="The rate limiter's counters could not be read"
          onRetry={() => setAttempt((a) => a + 1)}
        >
          {error}
        </ErrorBox>
      )}
      {latest && (
        <p className="muted" data-testid="store-state">
          {STORE_TEXT[latest.store]}
          {latest.grpc && ` gRPC (Envoy RLS) on port ${latest.grpc.port}.`}
          {latest.config.lastError &&
            ` The last configuration change was refused: ${latest.config.lastError}`}
        </p>
      )}
      <TimeChart
        title={rule === ALL ? 'Every rule' : rule}
        times={points.map((p) => p.t)}
        series={series}
        format={formatRate}
        windowSeconds={240}
        empty="No decisions yet: fire some in the playground below."
      />
      {rules.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="table-wrap" aria-label="Counters per rule" tabIndex={0}>
          <table>
            <caption className="sr-only">Counters per rule since the server started</caption>
            <thead>
              <tr>
                <th scope="col">rule</th>
                <th scope="col" className="num">
                  allowed/s
                </th>
                <th scope="col" className="num">
                  limited/s
                </th>
                <th scope="col" className="num">
                  allowed
                </th>
                <th scope="col" className="num">
                  limited
                </th>
                <th scope="col" className="num">
                  shadow
                </th>
                <th scope="col" className="num">
                  store errors
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => {
                const now = history.points.get(r.id)?.at(-1)
                return (
                  <tr key={r.id} data-rule={r.id}>
                    <td>{r.id}</td>
                    <td className="num">{formatRate(now?.allowed ?? 0)}</td>
                    <td className="num">{formatRate(now?.limited ?? 0)}</td>
                    <td className="num">{r.allowed.toLocaleString('en')}</td>
                    <td className="num">{r.limited.toLocaleString('en')}</td>
                    <td className="num">{r.shadowLimited.toLocaleString('en')}</td>
                    <td className="num">{r.storeErrors.toLocaleString('en')}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      )}
    </section>
  )
}
