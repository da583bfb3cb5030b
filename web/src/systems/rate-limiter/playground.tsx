/**
 * The playground: fire a burst of decisions at one descriptor and see which
 * were admitted, one square each, with the limit's own answer (remaining,
 * reset). Presets pick the demo config's one-rule-per-algorithm descriptors,
 * so the six algorithms can be compared on the same burst.
 */
import { type FormEvent, useState } from 'react'
import { ApiError } from '../../api/http'
import { fieldErrors } from '../../api/problem'
import { ErrorBox } from '../../ui/error-box'
import { Field } from '../../ui/field'
import { type Decision, decide, resetState } from './api'

const ALGORITHMS = [
  'fixed_window',
  'sliding_window_log',
  'sliding_window_counter',
  'token_bucket',
  'leaky_bucket',
  'gcra',
]

interface Shot {
  admitted: boolean
  remaining: number
  reset: string
}

/** Which form field an invalidParams name (`descriptors[0].entries[0].value`) is about. */
export function formField(name: string): string {
  if (name.endsWith('.key')) return 'key'
  if (name.endsWith('.value')) return 'value'
  if (name.toLowerCase().includes('hits')) return 'hits'
  if (name === 'domain') return 'domain'
  return name
}

/** The playground form and its results. */
export function Playground() {
  const [domain, setDomain] = useState('demo')
  const [key, setKey] = useState('algorithm')
  const [value, setValue] = useState('fixed_window')
  const [count, setCount] = useState('10')
  const [gap, setGap] = useState('100')
  const [hits, setHits] = useState('1')
  const [shots, setShots] = useState<Shot[]>([])
  const [running, setRunning] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string>()
  const [limit, setLimit] = useState<Decision['statuses'][number]['currentLimit']>()

  async function fire(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    setFailure(undefined)
    const n = Math.min(200, Math.max(1, Number(count) || 1))
    const wait = Math.min(5_000, Math.max(0, Number(gap) || 0))
    const entries = [{ key, value }]
    setRunning(true)
    setShots([])
    try {
      const out: Shot[] = []
      for (let i = 0; i < n; i++) {
        const d = await decide({ domain, entries, hitsAddend: Number(hits) || undefined })
        const s = d.statuses[0]!
        setLimit(s.currentLimit)
        out.push({
          admitted: d.overallCode === 'OK',
          remaining: s.limitRemaining,
          reset: s.durationUntilReset,
        })
        setShots([...out])
        if (wait && i < n - 1) await new Promise((r) => setTimeout(r, wait))
      }
    } catch (err) {
      if (err instanceof ApiError && err.problem) {
        const byField: Record<string, string> = {}
        for (const [name, msg] of Object.entries(fieldErrors(err.problem))) byField[formField(name)] = msg
        setErrors(byField)
        if (Object.keys(byField).length === 0) setFailure(err.message)
      } else setFailure(err instanceof Error ? err.message : String(err))
    } finally {
      setRunning(false)
    }
  }

  async function reset() {
    setFailure(undefined)
    try {
      await resetState(domain, [{ key, value }])
      setShots([])
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err))
    }
  }

  const admitted = shots.filter((s) => s.admitted).length
  return (
    <section className="card" aria-labelledby="playground-heading">
      <h2 id="playground-heading">Playground</h2>
      <p className="muted">
        Each request is one <code>POST /rate-limiter/json</code>, exactly as Envoy's decision arrives. The
        demo configuration has one rule per algorithm (5 per minute) under the key <code>algorithm</code>.
      </p>
      <fieldset className="preset-row">
        <legend className="sr-only">Algorithm presets</legend>
        {ALGORITHMS.map((a) => (
          <button
            key={a}
            type="button"
            className={key === 'algorithm' && value === a ? undefined : 'secondary'}
            aria-pressed={key === 'algorithm' && value === a}
            onClick={() => {
              setDomain('demo')
              setKey('algorithm')
              setValue(a)
            }}
          >
            {a.replaceAll('_', ' ')}
          </button>
        ))}
      </fieldset>
      <form onSubmit={fire} noValidate>
        <div className="form-grid">
          <Field
            label="Domain"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            error={errors.domain}
          />
          <Field
            label="Descriptor key"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            error={errors.key}
          />
          <Field
            label="Descriptor value"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            error={errors.value}
          />
          <Field
            label="Requests"
            type="number"
            min={1}
            max={200}
            value={count}
            onChange={(e) => setCount(e.target.value)}
          />
          <Field
            label="Gap between requests (ms)"
            type="number"
            min={0}
            max={5000}
            value={gap}
            onChange={(e) => setGap(e.target.value)}
          />
          <Field
            label="Hits per request"
            type="number"
            min={1}
            value={hits}
            onChange={(e) => setHits(e.target.value)}
            error={errors.hits}
          />
        </div>
        <div className="actions">
          <button type="submit" disabled={running}>
            {running ? 'Firing…' : 'Fire'}
          </button>
          <button type="button" className="secondary" onClick={reset} disabled={running}>
            Reset this descriptor
          </button>
        </div>
      </form>
      {failure && <ErrorBox title="The playground request failed">{failure}</ErrorBox>}
      {shots.length > 0 && (
        <div>
          <p aria-live="polite" data-testid="playground-summary">
            {admitted} admitted, {shots.length - admitted} refused
            {limit
              ? ` (limit ${limit.requestsPerUnit} per ${limit.unit.toLowerCase()})`
              : ' (no rule matched: not limited)'}
          </p>
          <ol className="shots" aria-label="Decisions in order">
            {shots.map((s, i) => (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: the shots never reorder
                key={i}
                className={s.admitted ? 'shot shot-ok' : 'shot shot-limited'}
                title={`#${i + 1}: ${s.admitted ? 'admitted' : 'refused'}, ${s.remaining} remaining, reset in ${s.reset}`}
              >
                <span className="sr-only">
                  #{i + 1} {s.admitted ? 'admitted' : 'refused'}
                </span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  )
}
