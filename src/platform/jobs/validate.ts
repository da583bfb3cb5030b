/**
 * Checks on a job spec that need no database: sizes, ranges, the shape of a
 * traceparent. The database checks the rest (queue exists, parents exist).
 * Every failure is an AppError with a 4xx status.
 */
import { JobsErrors } from './errors.js'
import type { JobSpec } from './types.js'

/** runAt may lie this far in the past (clock skew, a retried request) and this far ahead. */
export const MAX_RUN_AT_PAST_MS = 86_400_000
export const MAX_RUN_AT_FUTURE_MS = 366 * 86_400_000
export const MAX_DEPENDENCIES = 100
const TASK = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const JOB_ID = /^[1-9][0-9]{0,18}$/

const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/

/** The JSON text of a payload and its size in bytes, or a 4xx when it is too large or not JSON. */
export function encodePayload(payload: unknown, limit: number): string {
  let text: string | undefined
  try {
    text = JSON.stringify(payload ?? {})
  } catch {
    throw JobsErrors.invalid('payload', 'is not serialisable as JSON')
  }
  if (text === undefined) throw JobsErrors.invalid('payload', 'is not JSON')
  // jsonb cannot hold U+0000 (an escaped backslash before "u0000" is not one).
  if (text.includes('\\u0000') && NUL_ESCAPE.test(text))
    throw JobsErrors.invalid('payload', 'must not contain the character U+0000 (PostgreSQL cannot store it)')
  // Most payloads are ASCII: the length is a lower bound of the byte size, and exact then.
  const size = text.length > limit / 3 ? Buffer.byteLength(text) : text.length
  if (size > limit) throw JobsErrors.payloadTooLarge(size, limit)
  return text
}

const MAX_BIGINT = 9_223_372_036_854_775_807n

/** Whether `id` looks like a job id (a positive bigint in decimal). */
export function isJobId(id: string): boolean {
  return JOB_ID.test(id) && BigInt(id) <= MAX_BIGINT
}

/** Whether `token` could be a lease token (a bigint >= 0 in decimal): others are never held. */
export function isLeaseToken(token: string): boolean {
  return /^[0-9]{1,19}$/.test(token) && BigInt(token) <= MAX_BIGINT
}

/** Validate the parts of a spec the database cannot; throws a 4xx AppError. */
export function checkSpec(spec: JobSpec, now = Date.now()): void {
  if (typeof spec.task !== 'string' || !TASK.test(spec.task))
    throw JobsErrors.invalid(
      'task',
      'must be 1-100 characters of letters, digits, _ . : -, starting alphanumeric',
    )
  if (
    spec.priority !== undefined &&
    (!Number.isInteger(spec.priority) || Math.abs(spec.priority) > 1_000_000)
  )
    throw JobsErrors.invalid('priority', 'must be an integer between -1000000 and 1000000')
  if (
    spec.maxAttempts !== undefined &&
    (!Number.isInteger(spec.maxAttempts) || spec.maxAttempts < 1 || spec.maxAttempts > 1000)
  )
    throw JobsErrors.invalid('maxAttempts', 'must be an integer between 1 and 1000')
  if (
    spec.timeoutMs !== undefined &&
    (!Number.isInteger(spec.timeoutMs) || spec.timeoutMs < 1 || spec.timeoutMs > 86_400_000)
  )
    throw JobsErrors.invalid('timeoutMs', 'must be an integer between 1 and 86400000')
  if (spec.runAt !== undefined) {
    const t = spec.runAt.getTime()
    if (Number.isNaN(t)) throw JobsErrors.invalidRunAt('is not a valid date')
    if (t < now - MAX_RUN_AT_PAST_MS)
      throw JobsErrors.invalidRunAt('is more than a day in the past; omit it to run now')
    if (t > now + MAX_RUN_AT_FUTURE_MS) throw JobsErrors.invalidRunAt('is more than a year ahead')
  }
  if (spec.key !== undefined && (spec.key.length < 1 || spec.key.length > 500 || spec.key.includes('\0')))
    throw JobsErrors.invalid('key', 'must be 1 to 500 characters, without U+0000')
  if (
    spec.groupKey !== undefined &&
    (spec.groupKey.length < 1 || spec.groupKey.length > 200 || spec.groupKey.includes('\0'))
  )
    throw JobsErrors.invalid('groupKey', 'must be 1 to 200 characters, without U+0000')
  if (spec.traceparent !== undefined && !TRACEPARENT.test(spec.traceparent)) spec.traceparent = undefined
  if (spec.dependsOn !== undefined) {
    if (spec.dependsOn.length > MAX_DEPENDENCIES)
      throw JobsErrors.invalid('dependsOn', `has more than ${MAX_DEPENDENCIES} jobs`)
    for (const id of spec.dependsOn)
      if (!isJobId(id)) throw JobsErrors.invalid('dependsOn', `${JSON.stringify(id)} is not a job id`)
  }
}
