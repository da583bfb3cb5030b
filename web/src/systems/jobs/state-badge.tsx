/** A job's state as a word with a mark: colour helps, but the word carries it. */
import type { JobState } from './api'

const MARK: Record<JobState, string> = {
  waiting: '○',
  scheduled: '◷',
  active: '▶',
  failed: '↻',
  completed: '✓',
  dead: '✕',
  cancelled: '–',
}

/** The badge; `failed` reads "failed (retry due)" to screen readers. */
export function StateBadge({ state }: { state: JobState }) {
  return (
    <span className={`badge job-state job-state-${state}`} data-state={state}>
      <span aria-hidden="true">{MARK[state]}</span> {state}
      {state === 'failed' && <span className="sr-only"> (retry due)</span>}
    </span>
  )
}
