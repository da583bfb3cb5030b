/**
 * The rate limiter calls this page makes: the decision endpoint (Envoy's
 * RateLimitRequest as JSON, where OVER_LIMIT is an answer, not an error) and
 * the live counters per rule.
 */
import { ApiError, request, requestJson } from '../../api/http'
import { asProblem, problemMessage } from '../../api/problem'

export interface DecideInput {
  domain: string
  entries: { key: string; value: string }[]
  hitsAddend?: number
}

export interface DescriptorStatus {
  code: 'OK' | 'OVER_LIMIT'
  currentLimit?: { requestsPerUnit: number; unit: string; name?: string }
  limitRemaining: number
  durationUntilReset: string
}

export interface Decision {
  overallCode: 'OK' | 'OVER_LIMIT'
  statuses: DescriptorStatus[]
}

export interface RuleStats {
  id: string
  domain: string
  allowed: number
  limited: number
  shadowLimited: number
  unlimited: number
  storeErrors: number
  fallback: number
}

export interface Stats {
  store: 'redis' | 'memory' | 'fallback'
  grpc: { host: string; port: number } | null
  config: { source: 'file' | 'admin'; lastError?: string }
  rules: RuleStats[]
}

/** Ask for one decision; 200 and 429 are both answers, anything else throws ApiError. */
export async function decide(input: DecideInput): Promise<Decision> {
  const body = {
    domain: input.domain,
    descriptors: [{ entries: input.entries }],
    ...(input.hitsAddend ? { hitsAddend: input.hitsAddend } : {}),
  }
  let res: Response
  try {
    res = await fetch('/rate-limiter/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  } catch {
    throw new ApiError('network', 'The server did not answer /rate-limiter/json: is it running?')
  }
  const parsed: unknown = await res.json().catch(() => undefined)
  if (res.status === 200 || res.status === 429) return parsed as Decision
  const problem = asProblem(parsed)
  throw new ApiError('http', problem ? problemMessage(problem) : `HTTP ${res.status}`, res.status, problem)
}

/** The counters of every rule since the server started. */
export function stats(signal?: AbortSignal): Promise<Stats> {
  return requestJson<Stats>('/rate-limiter/stats', { signal })
}

/** Forget one descriptor's state, so the playground starts from a full limit. */
export async function resetState(domain: string, entries: { key: string; value: string }[]): Promise<void> {
  const q = new URLSearchParams({ domain })
  for (const e of entries) {
    q.append('key', e.key)
    q.append('value', e.value)
  }
  await request(`/rate-limiter/state?${q}`, { method: 'DELETE' })
}
