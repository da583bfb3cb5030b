/**
 * The jobs system's REST calls this page makes (all under `/jobs`): queues
 * with their counts per state, pause and resume; the newest jobs, filtered;
 * one job with its failed attempts; enqueue, cancel and redrive; the task
 * types the server runs. Each carries the API token when one is stored
 * (api-token.ts).
 */
import { requestJson } from '../../api/http'
import { authHeaders } from './api-token'

/** The states a client sees, in the order a job usually passes through them. */
export const STATES = ['waiting', 'scheduled', 'active', 'failed', 'completed', 'dead', 'cancelled'] as const
export type JobState = (typeof STATES)[number]

export type Counts = Record<JobState, number>

export interface Queue {
  name: string
  paused: boolean
  /** The system that declared it (platform/jobs); null: made through the jobs API or SQL. */
  system?: string | null
  concurrency: number | null
  rateLimit: number | null
  ratePeriodMs: number | null
  groupRateLimit: number | null
  groupRatePeriodMs: number | null
  createdAt: string
  counts: Counts
}

/** A failed attempt, oldest first. */
export interface Attempt {
  attempt: number
  worker: string | null
  error: string
  stack: string | null
  startedAt: string | null
  finishedAt: string
}

export interface Job {
  id: string
  queue: string
  task: string
  payload: unknown
  state: JobState
  priority: number
  runAt: string
  attemptsMade: number
  maxAttempts: number
  key: string | null
  groupKey: string | null
  timeoutMs: number | null
  progress: unknown
  result: unknown
  lastError: string | null
  stalls: number
  dependsOn: string[]
  pendingDependencies: number
  schedule: string | null
  lockedBy: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** Only in GET /jobs/jobs/{id}. */
  attempts?: Attempt[]
}

export interface Task {
  name: string
  description: string
}

export interface EnqueueBody {
  task: string
  payload?: unknown
  priority?: number
  runAt?: string
  maxAttempts?: number
}

export interface Added {
  id: string
  state: JobState
  deduplicated: boolean
}

export interface JobFilter {
  state?: JobState
  queue?: string
  limit?: number
  /** Keyset cursor: only jobs older than this id (the `next` of the page before). */
  before?: string
}

/** One page of jobs, newest first, and the cursor of the next (older) page, null on the last. */
export interface JobPage {
  jobs: Job[]
  next: string | null
}

const q = encodeURIComponent

/** A JSON call with the API token's header, when a token is stored. */
function call<T>(path: string, opts: Parameters<typeof requestJson>[1] = {}): Promise<T> {
  return requestJson<T>(path, { ...opts, headers: { ...authHeaders(), ...opts.headers } })
}

/** Every queue with its settings and counts per state. */
export async function listQueues(signal?: AbortSignal): Promise<Queue[]> {
  return (await call<{ queues: Queue[] }>('/jobs/queues', { signal })).queues
}

/** Pause (workers take nothing new from it) or resume a queue. */
export function setPaused(queue: string, paused: boolean): Promise<{ name: string; paused: boolean }> {
  return call(`/jobs/queues/${q(queue)}/${paused ? 'pause' : 'resume'}`, { method: 'POST' })
}

/** A page of jobs, newest first, optionally of one state or queue, older than `before`. */
export function listJobs(f: JobFilter, signal?: AbortSignal): Promise<JobPage> {
  const params = new URLSearchParams({ limit: String(f.limit ?? 50) })
  if (f.state) params.set('state', f.state)
  if (f.queue) params.set('queue', f.queue)
  if (f.before) params.set('before', f.before)
  return call<JobPage>(`/jobs/jobs?${params}`, { signal })
}

/** One job with its failed attempts (error and stack each). */
export function getJob(id: string, signal?: AbortSignal): Promise<Job> {
  return call<Job>(`/jobs/jobs/${q(id)}`, { signal })
}

/** Cancel a job that has not finished; a finished one is a 409 with the reason. */
export function cancelJob(id: string): Promise<{ id: string; state: JobState }> {
  return call(`/jobs/jobs/${q(id)}/cancel`, { method: 'POST' })
}

/** Put a dead or cancelled job back in its queue with fresh attempts; any other state is a 409. */
export function redriveJob(id: string): Promise<{ id: string; state: JobState }> {
  return call(`/jobs/jobs/${q(id)}/redrive`, { method: 'POST' })
}

/** Redrive every dead and cancelled job of a queue. */
export function redriveQueue(queue: string): Promise<{ redriven: number; ids: string[] }> {
  return call('/jobs/redrive', { method: 'POST', body: { queue } })
}

/** Enqueue a job; a refusal throws ApiError with the server's problem document. */
export function enqueue(queue: string, body: EnqueueBody): Promise<Added> {
  return call<Added>(`/jobs/queues/${q(queue)}/jobs`, { method: 'POST', body })
}

/** The task types the server can run. */
export async function listTasks(signal?: AbortSignal): Promise<Task[]> {
  return (await call<{ tasks: Task[] }>('/jobs/tasks', { signal })).tasks
}
