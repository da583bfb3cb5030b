/**
 * The job queue's error catalog (codes in README.md) and the mapping of the
 * SQLSTATEs that `add_job()` and the foreign keys raise to 4xx problems.
 */
import { AppError } from '../../platform/errors.js'

export const JobsErrors = {
  unknownQueue: (queue: string) =>
    new AppError('JOBS_UNKNOWN_QUEUE', 404, `There is no queue named ${queue}`),
  unknownTask: (task: string, known: string[]) =>
    new AppError('JOBS_UNKNOWN_TASK', 422, `There is no task named ${task}; known: ${known.join(', ')}`),
  unknownJob: (id: string) => new AppError('JOBS_UNKNOWN_JOB', 404, `There is no job ${id}`),
  unknownSchedule: (name: string) =>
    new AppError('JOBS_UNKNOWN_SCHEDULE', 404, `There is no schedule named ${name}`),
  unknownParent: () =>
    new AppError('JOBS_UNKNOWN_DEPENDENCY', 422, 'A job this one depends on does not exist'),
  payloadTooLarge: (size: number, limit: number) =>
    new AppError('JOBS_PAYLOAD_TOO_LARGE', 413, `The payload is ${size} bytes, over the limit of ${limit}`),
  invalid: (message: string) => new AppError('JOBS_INVALID', 422, message),
  invalidRunAt: (message: string) => new AppError('JOBS_INVALID_RUN_AT', 422, message),
  invalidCron: (message: string) => new AppError('JOBS_INVALID_CRON', 422, message),
  invalidTimeZone: (tz: string) =>
    new AppError('JOBS_INVALID_TIME_ZONE', 422, `${JSON.stringify(tz)} is not an IANA time zone`),
  cycle: (names: string[]) =>
    new AppError('JOBS_DEPENDENCY_CYCLE', 422, `The dependencies form a cycle: ${names.join(' -> ')}`),
  forbiddenTarget: (reason: string) => new AppError('JOBS_FORBIDDEN_TARGET', 422, reason),
  unreachableTarget: (reason: string) => new AppError('JOBS_UNREACHABLE_TARGET', 422, reason),
  idempotencyReused: () =>
    new AppError(
      'JOBS_IDEMPOTENCY_KEY_REUSED',
      422,
      'This Idempotency-Key was used with a different request; use a new key',
    ),
  notCancellable: (id: string, state: string) =>
    new AppError('JOBS_NOT_CANCELLABLE', 409, `Job ${id} is ${state} and cannot be cancelled`),
  notRedrivable: (id: string, state: string) =>
    new AppError(
      'JOBS_NOT_REDRIVABLE',
      409,
      `Job ${id} is ${state}; only dead or cancelled jobs are redriven`,
    ),
} as const

interface PgError {
  code?: string
  message?: string
  constraint?: string
}

/**
 * Turn a database error raised by our own checks into a 4xx AppError;
 * anything else is rethrown (a real 500). `queue` names the queue in messages.
 */
export function mapDbError(err: unknown, queue?: string): never {
  const e = err as PgError
  if (e && typeof e === 'object') {
    if (e.code === '23503' && /queue/.test(`${e.constraint ?? ''} ${e.message ?? ''}`))
      throw JobsErrors.unknownQueue(queue ?? '(unknown)')
    if (e.code === 'P0002') throw JobsErrors.unknownParent()
    if (e.code === '22023') {
      const m = e.message ?? 'invalid parameter'
      const size = /payload is (\d+) bytes, over the limit of (\d+)/.exec(m)
      if (size) throw JobsErrors.payloadTooLarge(Number(size[1]), Number(size[2]))
      throw JobsErrors.invalid(m)
    }
    if (e.code === '23505' && /jobs_key/.test(e.constraint ?? ''))
      throw new AppError('JOBS_KEY_CONFLICT', 409, 'A pending job with the same key exists')
    if (e.code === '23514') throw JobsErrors.invalid(`a value is out of range (${e.constraint ?? 'check'})`)
  }
  throw err
}
