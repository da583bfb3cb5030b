/**
 * The queues, every system's (a queue a system declared shows that system's name): each one's
 * counts per state, whether it is paused, and two actions: pause or resume it, and redrive its
 * dead and cancelled jobs.
 */
import { useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import { ActionButton } from './action-button'
import { type Counts, type JobState, type Queue, redriveQueue, STATES, setPaused } from './api'

export interface QueuesCardProps {
  queues: Queue[] | undefined
  error: Error | undefined
  onRetry: () => void
  /** After an action changed something: reload what shows it. */
  onChanged: () => void
}

const num = (n: number) => n.toLocaleString('en')

/** "3 waiting, 1 active, 2 dead" (states with none left out). */
export function countsInWords(c: Counts, states: readonly JobState[] = STATES): string {
  const parts = states.filter((s) => c[s] > 0).map((s) => `${num(c[s])} ${s}`)
  return parts.length > 0 ? parts.join(', ') : 'no jobs'
}

/** The queues card. */
export function QueuesCard({ queues, error, onRetry, onChanged }: QueuesCardProps) {
  const [busy, setBusy] = useState<string>()
  const [notice, setNotice] = useState<string>()
  const [failure, setFailure] = useState<string>()

  async function act(id: string, run: () => Promise<string>) {
    setBusy(id)
    setNotice(undefined)
    setFailure(undefined)
    try {
      setNotice(await run())
      onChanged()
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(undefined)
    }
  }

  return (
    <section className="card" aria-labelledby="queues-heading">
      <div className="section-head">
        <h2 id="queues-heading">Queues</h2>
      </div>
      {error && (
        <ErrorBox title="The queues could not be loaded" onRetry={onRetry}>
          {error.message}
        </ErrorBox>
      )}
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      {notice && (
        <p>
          <output className="success">{notice}</output>
        </p>
      )}
      {!queues ? (
        !error && <p className="muted">Loading…</p>
      ) : queues.length === 0 ? (
        <p className="muted">No queues yet.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="table-wrap" aria-label="Queues table" tabIndex={0}>
          <table className="jobs-queues">
            <caption className="sr-only">Jobs per queue and state</caption>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                {STATES.map((s) => (
                  <th key={s} scope="col" className="num">
                    {s}
                  </th>
                ))}
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => {
                const redrivable = q.counts.dead + q.counts.cancelled
                return (
                  <tr key={q.name} data-queue={q.name}>
                    <th scope="row">
                      {q.name}
                      {q.paused && <span className="badge badge-unknown paused-badge">paused</span>}
                      {q.system && (
                        <span className="muted queue-owner" title="the system that declared this queue">
                          {' '}
                          · {q.system}
                        </span>
                      )}
                    </th>
                    {STATES.map((s) => (
                      <td key={s} className="num" data-count={s}>
                        {num(q.counts[s])}
                      </td>
                    ))}
                    <td>
                      <div className="row-actions">
                        <ActionButton
                          className="secondary small"
                          busy={busy === `pause:${q.name}`}
                          onClick={() =>
                            act(`pause:${q.name}`, async () => {
                              const r = await setPaused(q.name, !q.paused)
                              return r.paused
                                ? `Queue ${r.name} paused: workers take no new job from it.`
                                : `Queue ${r.name} resumed.`
                            })
                          }
                        >
                          {q.paused ? 'Resume' : 'Pause'}
                          <span className="sr-only"> {q.name}</span>
                        </ActionButton>
                        <ActionButton
                          className="secondary small"
                          busy={busy === `redrive:${q.name}`}
                          unavailable={
                            redrivable === 0 ? `Queue ${q.name} has no dead or cancelled job.` : undefined
                          }
                          onUnavailable={setNotice}
                          onClick={() =>
                            act(`redrive:${q.name}`, async () => {
                              const r = await redriveQueue(q.name)
                              return `${num(r.redriven)} job${r.redriven === 1 ? '' : 's'} of ${q.name} redriven.`
                            })
                          }
                        >
                          Redrive dead and cancelled
                          <span className="sr-only"> of {q.name}</span>
                        </ActionButton>
                      </div>
                    </td>
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
