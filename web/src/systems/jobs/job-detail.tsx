/**
 * One job: its state and settings, payload and result, every failed attempt
 * with its error and stack, and the two actions on it: cancel (a job that
 * has not finished) and redrive (a dead or cancelled one). The page polls it
 * every 2 s, so a running job is seen finishing.
 */
import { useEffect, useId, useRef, useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import { ActionButton } from './action-button'
import { type Attempt, cancelJob, type Job, type JobState, redriveJob } from './api'
import { when } from './jobs-list'
import { StateBadge } from './state-badge'

export interface JobDetailProps {
  id: string
  job: Job | undefined
  error: Error | undefined
  onRetry: () => void
  onClose: () => void
  /** After cancel or redrive: reload the job, the list and the counts. */
  onChanged: () => void
}

const FINISHED: JobState[] = ['completed', 'dead', 'cancelled']

/** Why cancel does not apply to a job in `state`, if it does not. */
export function cancelUnavailable(state: JobState): string | undefined {
  return FINISHED.includes(state) ? `This job is ${state}: only unfinished jobs can be cancelled.` : undefined
}

/** Why redrive does not apply to a job in `state`, if it does not. */
export function redriveUnavailable(state: JobState): string | undefined {
  return state === 'dead' || state === 'cancelled'
    ? undefined
    : `This job is ${state}: only dead or cancelled jobs are redriven.`
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? String(v)
}

function duration(a: Attempt): string | undefined {
  if (!a.startedAt) return undefined
  const ms = Date.parse(a.finishedAt) - Date.parse(a.startedAt)
  if (!Number.isFinite(ms) || ms < 0) return undefined
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** One failed attempt: when, where, its error, and its stack behind a toggle. */
function AttemptItem({ attempt: a }: { attempt: Attempt }) {
  const [open, setOpen] = useState(false)
  const stackId = useId()
  const ran = duration(a)
  return (
    <li className="attempt" data-attempt={a.attempt}>
      <p>
        <strong>Attempt {a.attempt}</strong>{' '}
        <span className="muted">
          {when(a.finishedAt)}
          {ran ? `, ran ${ran}` : ''}
          {a.worker ? `, on ${a.worker}` : ''}
        </span>
      </p>
      <p className="attempt-error wrap">{a.error}</p>
      {a.stack && (
        <>
          <button
            type="button"
            className="secondary small"
            aria-expanded={open}
            aria-controls={stackId}
            onClick={() => setOpen((o) => !o)}
          >
            {open ? 'Hide stack' : 'Show stack'}
            <span className="sr-only"> of attempt {a.attempt}</span>
          </button>
          <pre id={stackId} className="stack-trace" hidden={!open}>
            {a.stack}
          </pre>
        </>
      )}
    </li>
  )
}

/** The detail card. */
export function JobDetail({ id, job, error, onRetry, onClose, onChanged }: JobDetailProps) {
  const heading = useRef<HTMLHeadingElement>(null)
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<string>()
  const [failure, setFailure] = useState<string>()

  // A newly opened job takes the focus to its heading (and into view), so keyboard and
  // screen-reader users land on what they opened.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `id` is the trigger (another job opened)
  useEffect(() => {
    setNotice(undefined)
    setFailure(undefined)
    heading.current?.focus()
    heading.current?.scrollIntoView?.({ block: 'nearest' })
  }, [id])

  async function act(run: () => Promise<{ state: JobState }>, done: (s: JobState) => string) {
    setBusy(true)
    setNotice(undefined)
    setFailure(undefined)
    try {
      const r = await run()
      setNotice(done(r.state))
      onChanged()
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }
  const explain = (reason: string) => {
    setNotice(undefined)
    setFailure(reason)
  }

  const attempts = job?.attempts ?? []
  return (
    <section className="card job-detail" aria-labelledby="job-heading" data-testid="job-detail">
      <div className="section-head">
        <h2 id="job-heading" ref={heading} tabIndex={-1}>
          Job #{id} {job && <StateBadge state={job.state} />}
        </h2>
        <button type="button" className="secondary small" onClick={onClose}>
          Close
        </button>
      </div>
      {error && (
        <ErrorBox title={`Job ${id} could not be loaded`} onRetry={onRetry}>
          {error.message}
        </ErrorBox>
      )}
      {!job ? (
        !error && <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="actions">
            <ActionButton
              busy={busy}
              unavailable={cancelUnavailable(job.state)}
              onUnavailable={explain}
              onClick={() =>
                act(
                  () => cancelJob(id),
                  (s) => `Job ${id} is ${s}.`,
                )
              }
            >
              Cancel job
            </ActionButton>
            <ActionButton
              busy={busy}
              unavailable={redriveUnavailable(job.state)}
              onUnavailable={explain}
              onClick={() =>
                act(
                  () => redriveJob(id),
                  (s) => `Job ${id} redriven: ${s}, with fresh attempts.`,
                )
              }
            >
              Redrive job
            </ActionButton>
            {notice && <output className="success">{notice}</output>}
          </div>
          {failure && (
            <p className="form-error" role="alert">
              {failure}
            </p>
          )}
          <dl className="job-facts">
            <div>
              <dt>Queue</dt>
              <dd>{job.queue}</dd>
            </div>
            <div>
              <dt>Task</dt>
              <dd>{job.task}</dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd data-testid="attempts-made">
                {job.attemptsMade} of {job.maxAttempts}
              </dd>
            </div>
            <div>
              <dt>Priority</dt>
              <dd>{job.priority}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{when(job.createdAt)}</dd>
            </div>
            <div>
              <dt>Runs at</dt>
              <dd>{when(job.runAt)}</dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>{when(job.startedAt)}</dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>{when(job.finishedAt)}</dd>
            </div>
            {job.progress != null && (
              <div>
                <dt>Progress</dt>
                <dd>{typeof job.progress === 'number' ? `${job.progress} %` : jsonText(job.progress)}</dd>
              </div>
            )}
            {job.lockedBy && (
              <div>
                <dt>Worker</dt>
                <dd className="wrap">{job.lockedBy}</dd>
              </div>
            )}
            {job.key && (
              <div>
                <dt>Key</dt>
                <dd className="wrap">{job.key}</dd>
              </div>
            )}
            {job.groupKey && (
              <div>
                <dt>Group</dt>
                <dd className="wrap">{job.groupKey}</dd>
              </div>
            )}
            {job.schedule && (
              <div>
                <dt>Schedule</dt>
                <dd className="wrap">{job.schedule}</dd>
              </div>
            )}
            {job.dependsOn.length > 0 && (
              <div>
                <dt>Depends on</dt>
                <dd className="wrap">
                  {job.dependsOn.map((d) => `#${d}`).join(', ')}
                  {job.pendingDependencies > 0 ? ` (${job.pendingDependencies} pending)` : ''}
                </dd>
              </div>
            )}
          </dl>
          <h3>Payload</h3>
          <pre className="json">{jsonText(job.payload)}</pre>
          {job.result != null && (
            <>
              <h3>Result</h3>
              <pre className="json">{jsonText(job.result)}</pre>
            </>
          )}
          {job.lastError && (
            <p>
              <strong>Last error:</strong> <span className="wrap">{job.lastError}</span>
            </p>
          )}
          <h3>Failed attempts</h3>
          {attempts.length === 0 ? (
            <p className="muted">
              {job.state === 'completed' ? 'None: it completed on its first try.' : 'None so far.'}
            </p>
          ) : (
            <ol className="attempts" aria-label="Failed attempts, oldest first">
              {attempts.map((a, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: attempts are appended, never reordered (numbers repeat after a redrive)
                <AttemptItem key={i} attempt={a} />
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  )
}
