/**
 * `/readyz` and what it means for each system. The server checks each
 * dependency it was configured with (database, bus, redis) and each
 * system's own check (named after the system); it answers 200
 * `{status:'ready', checks}` or 503 problem+json with the same `checks`.
 * A check named after a system concerns that system alone; every other
 * check is a shared dependency that every system stands on.
 */
import { ApiError, requestJson } from '../api/http'
import { problemMessage } from '../api/problem'

export interface CheckResult {
  status: 'ok' | 'failing'
  error?: string
}

export interface Readiness {
  ready: boolean
  checks: Record<string, CheckResult>
  /** The server's sentence when not ready (names the failing dependencies). */
  detail?: string
}

export interface SystemHealth {
  state: 'ok' | 'failing' | 'unknown'
  /** Failing checks this system depends on, with their errors. */
  failing: { name: string; error: string }[]
}

function asChecks(v: unknown): Record<string, CheckResult> {
  return typeof v === 'object' && v !== null ? (v as Record<string, CheckResult>) : {}
}

/** Fetch /readyz; a 503 is a result (not ready), a failed connection or other error throws. */
export async function fetchReadiness(signal?: AbortSignal): Promise<Readiness> {
  try {
    const ok = await requestJson<{ checks?: unknown }>('/readyz', { signal })
    return { ready: true, checks: asChecks(ok.checks) }
  } catch (err) {
    if (err instanceof ApiError && err.status === 503 && err.problem)
      return { ready: false, checks: asChecks(err.problem.checks), detail: problemMessage(err.problem) }
    throw err
  }
}

/** The health of `system` given the readiness report and the names of all running systems. */
export function healthOf(
  system: string,
  readiness: Readiness | undefined,
  systems: readonly string[],
): SystemHealth {
  if (!readiness) return { state: 'unknown', failing: [] }
  const failing = Object.entries(readiness.checks)
    .filter(([name, r]) => r.status !== 'ok' && (name === system || !systems.includes(name)))
    .map(([name, r]) => ({ name, error: r.error ?? 'failing' }))
  if (failing.length > 0) return { state: 'failing', failing }
  // Not ready although no check fails: the server itself is the failure (it is shutting down).
  const anyFailing = Object.values(readiness.checks).some((r) => r.status !== 'ok')
  if (!readiness.ready && !anyFailing)
    return { state: 'failing', failing: [{ name: 'server', error: readiness.detail ?? 'not ready' }] }
  return { state: 'ok', failing: [] }
}
