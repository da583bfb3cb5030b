/**
 * Which field of the enqueue form a refusal is about. Schema failures name
 * it in `errors[].path` (`body/maxAttempts`, `params/queue`: the shared
 * `fieldErrors`); the jobs system's own refusals name it only by code
 * (an unknown queue or task, a bad run-at time, a payload its task refuses).
 */
import { fieldErrors, type Problem, problemMessage } from '../../api/problem'

/** Form fields by the body or path field the server names. */
const FIELD_OF: Record<string, string> = {
  queue: 'queue',
  task: 'task',
  payload: 'payload',
  maxAttempts: 'maxAttempts',
  priority: 'priority',
  runAt: 'delay',
}

const BY_CODE: Record<string, string> = {
  JOBS_UNKNOWN_QUEUE: 'queue',
  JOBS_UNKNOWN_TASK: 'task',
  JOBS_TASK_NOT_OF_QUEUE_OWNER: 'task',
  JOBS_INVALID_RUN_AT: 'delay',
  JOBS_PAYLOAD_TOO_LARGE: 'payload',
  JOBS_FORBIDDEN_TARGET: 'payload',
  JOBS_UNREACHABLE_TARGET: 'payload',
}

/** Messages by enqueue-form field. */
export function enqueueErrors(p: Problem): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, message] of Object.entries(fieldErrors(p))) {
    const field = FIELD_OF[name]
    if (field && !out[field]) out[field] = message
  }
  let field = typeof p.code === 'string' ? BY_CODE[p.code] : undefined
  // A task's own check of its payload (sleep's `payload.ms must be ...`) is a JOBS_INVALID about the payload.
  if (!field && p.code === 'JOBS_INVALID' && /^payload\b/.test(p.detail ?? '')) field = 'payload'
  if (field && !out[field]) out[field] = problemMessage(p)
  return out
}
