/**
 * The jobs system's page: enqueue a job, the queues with their counts per
 * state (pause, resume, redrive), queue depth over time, the newest jobs
 * (polled every 2 s, filtered by state and queue) and one job's detail with
 * its attempts, errors and stacks, cancel and redrive. It speaks the
 * system's public REST API under /jobs, as any client would; when the
 * server requires a token (JOBS_API_TOKEN) and refuses a call, it asks for
 * the token and sends it from then on.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import type { ApiError } from '../../api/http'
import { usePoll } from '../../ui/use-poll'
import type { SystemPageProps } from '../registry'
import { getJob, type JobState, listJobs, listQueues, listTasks } from './api'
import { useApiToken } from './api-token'
import { addSample, type DepthSample } from './depth'
import { DepthCharts } from './depth-chart'
import { EnqueueForm } from './enqueue-form'
import { JobDetail } from './job-detail'
import { JobsList } from './jobs-list'
import { QueuesCard } from './queues-card'
import { TokenForm } from './token-form'
import './jobs.css'

export const POLL_MS = 2_000
const LIST_LIMIT = 50

/** The page. */
export default function JobsPage(_props: SystemPageProps) {
  const [state, setState] = useState<JobState | ''>('')
  const [queue, setQueue] = useState('')
  // Paging back: the cursors of the pages shown so far (empty: the newest page).
  const [cursors, setCursors] = useState<string[]>([])
  const before = cursors.at(-1)
  const [selected, setSelected] = useState<string>()
  const [history, setHistory] = useState<DepthSample[]>([])

  const queues = usePoll('queues', listQueues, POLL_MS)
  const jobs = usePoll(
    `${state}|${queue}|${before ?? ''}`,
    (signal) =>
      listJobs({ state: state || undefined, queue: queue || undefined, limit: LIST_LIMIT, before }, signal),
    POLL_MS,
  )
  const job = usePoll(selected, (signal) => getJob(selected!, signal), POLL_MS)
  // The task list changes only with a restart: asked once (a long period), never blocking the form.
  const tasks = usePoll('tasks', listTasks, 60_000)

  useEffect(() => {
    if (queues.data) setHistory((h) => addSample(h, Date.now() / 1000, queues.data!))
  }, [queues.data])

  const names = useMemo(() => (queues.data ?? []).map((q) => q.name), [queues.data])
  const reloadAll = useCallback(() => {
    queues.reload()
    jobs.reload()
    job.reload()
  }, [queues.reload, jobs.reload, job.reload])

  const [token, setToken] = useApiToken()
  // A 401 is about the token: ask for it rather than showing every card's error.
  const refused = [queues.error, jobs.error, tasks.error].find((e) => (e as ApiError)?.status === 401)
  const saveToken = (next: string) => {
    setToken(next)
    reloadAll()
    tasks.reload()
  }
  if (refused)
    return (
      <div className="stack jobs-page">
        <TokenForm token={token} onSave={saveToken} error={refused.message} />
      </div>
    )

  return (
    <div className="stack jobs-page">
      {token && <TokenForm token={token} onSave={saveToken} />}
      <EnqueueForm queues={names} tasks={tasks.data} onEnqueued={reloadAll} onOpen={setSelected} />
      <QueuesCard queues={queues.data} error={queues.error} onRetry={queues.reload} onChanged={reloadAll} />
      <DepthCharts history={history} queues={names} />
      <JobsList
        jobs={jobs.data?.jobs}
        error={jobs.error}
        onRetry={jobs.reload}
        state={state}
        onState={(s) => {
          setState(s)
          setCursors([])
        }}
        queue={queue}
        onQueue={(q) => {
          setQueue(q)
          setCursors([])
        }}
        queues={names}
        limit={LIST_LIMIT}
        page={cursors.length + 1}
        onOlder={jobs.data?.next ? () => setCursors((c) => [...c, jobs.data!.next!]) : undefined}
        onNewer={cursors.length > 0 ? () => setCursors((c) => c.slice(0, -1)) : undefined}
        onNewest={cursors.length > 0 ? () => setCursors([]) : undefined}
        selected={selected}
        onOpen={setSelected}
      />
      {selected && (
        <JobDetail
          id={selected}
          job={job.data}
          error={job.error}
          onRetry={job.reload}
          onClose={() => setSelected(undefined)}
          onChanged={reloadAll}
        />
      )}
    </div>
  )
}
