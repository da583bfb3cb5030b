/** Helpers for this system's tests: an app running the jobs system, a JSON client over inject(). */
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import { createJobsSystem, type JobsSystemOptions } from './index.js'

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

export interface Res {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  json: () => Json
}

export interface JobsClient {
  app: App
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>
  /** GET /jobs/jobs/{id} as JSON. */
  job(id: string): Promise<Json>
  close(): Promise<void>
}

/** Settings that make tests fast: short poll, lease and backoff. */
export const FAST_ENV = {
  JOBS_POLL_MS: '50',
  JOBS_BACKOFF_BASE_MS: '10',
  JOBS_BACKOFF_MAX_MS: '50',
  JOBS_SHUTDOWN_GRACE_MS: '2000',
}

export async function jobsApp(
  backend: BackendName,
  env: Record<string, string> = {},
  opts: JobsSystemOptions & { startWorkers?: boolean; heartbeatMs?: number; sweepMs?: number } = {},
): Promise<JobsClient> {
  const app = await buildTestApp(backend, {
    systems: [createJobsSystem(opts)],
    env: { ...FAST_ENV, ...env },
    startWorkers: opts.startWorkers,
    // The worker pool and the sweep are the job engine's, run by the platform beside the system.
    jobs: { heartbeatMs: opts.heartbeatMs, sweepMs: opts.sweepMs },
  })
  const call: JobsClient['call'] = async (method, url, body, headers = {}) =>
    (await app.http.inject({
      method: method as 'GET',
      url,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })) as unknown as Res
  return {
    app,
    call,
    async job(id) {
      return (await call('GET', `/jobs/jobs/${id}`)).json()
    },
    close: () => app.close(),
  }
}
