/**
 * The jobs, newest first, a page at a time (polled every 2 s), filtered by
 * state and queue; older pages follow the API's keyset cursor, so paging
 * back neither skips nor repeats a job. Each row opens the job's detail
 * (attempts, errors, cancel and redrive).
 */
import { ErrorBox } from '../../ui/error-box'
import { type Job, type JobState, STATES } from './api'
import { StateBadge } from './state-badge'

export interface JobsListProps {
  jobs: Job[] | undefined
  error: Error | undefined
  onRetry: () => void
  state: JobState | ''
  onState: (s: JobState | '') => void
  queue: string
  onQueue: (q: string) => void
  queues: string[]
  limit: number
  /** 1 for the newest page, then 2, 3, ... going back. */
  page: number
  /** Show the next older page (undefined: this is the oldest). */
  onOlder: (() => void) | undefined
  /** Show the page before this one, and the newest page (undefined on the newest). */
  onNewer: (() => void) | undefined
  onNewest: (() => void) | undefined
  selected: string | undefined
  onOpen: (id: string) => void
}

/** "12:03:04" today, else a date and time. */
export function when(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString()
}

/** The list card. */
export function JobsList(p: JobsListProps) {
  return (
    <section className="card" aria-labelledby="jobs-heading">
      <div className="section-head jobs-filters">
        <h2 id="jobs-heading">Recent jobs</h2>
        <div className="filters">
          <label className="inline-label">
            State{' '}
            <select value={p.state} onChange={(e) => p.onState(e.target.value as JobState | '')}>
              <option value="">any state</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-label">
            From queue{' '}
            <select value={p.queue} onChange={(e) => p.onQueue(e.target.value)}>
              <option value="">any queue</option>
              {p.queues.map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {p.error && (
        <ErrorBox title="The jobs could not be loaded" onRetry={p.onRetry}>
          {p.error.message}
        </ErrorBox>
      )}
      {!p.jobs ? (
        !p.error && <p className="muted">Loading…</p>
      ) : p.jobs.length === 0 ? (
        <p className="muted">
          {p.state || p.queue ? 'No job matches these filters.' : 'No jobs yet: enqueue one above.'}
        </p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="table-wrap" aria-label="Jobs table" tabIndex={0}>
          <table>
            <caption>
              Newest first, updated every 2 s
              {p.page > 1
                ? ` (page ${p.page}, ${p.limit} a page)`
                : p.onOlder
                  ? ` (the newest ${p.limit})`
                  : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Queue</th>
                <th scope="col">Task</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Created</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {p.jobs.map((j) => {
                const open = j.id === p.selected
                return (
                  <tr key={j.id} data-job={j.id} className={open ? 'selected' : undefined}>
                    <td>
                      <button
                        type="button"
                        className="secondary small"
                        aria-pressed={open}
                        aria-label={`Open job ${j.id}`}
                        onClick={() => p.onOpen(j.id)}
                      >
                        #{j.id}
                      </button>
                    </td>
                    <td>{j.queue}</td>
                    <td>{j.task}</td>
                    <td>
                      <StateBadge state={j.state} />
                    </td>
                    <td className="num">
                      {j.attemptsMade}/{j.maxAttempts}
                    </td>
                    <td>
                      <time dateTime={j.createdAt}>{when(j.createdAt)}</time>
                    </td>
                    <td className="last-error" title={j.lastError ?? undefined}>
                      {j.lastError ?? ''}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      )}
      {(p.onOlder || p.onNewer) && (
        <nav className="pager" aria-label="Jobs pages">
          <button type="button" className="secondary small" disabled={!p.onNewest} onClick={p.onNewest}>
            Newest
          </button>
          <button type="button" className="secondary small" disabled={!p.onNewer} onClick={p.onNewer}>
            Newer
          </button>
          <span className="muted">Page {p.page}</span>
          <button type="button" className="secondary small" disabled={!p.onOlder} onClick={p.onOlder}>
            Older
          </button>
        </nav>
      )}
    </section>
  )
}
