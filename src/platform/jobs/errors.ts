/**
 * The job queue's error catalog (codes in README.md) and the mapping of the
 * SQLSTATEs that `add_job()` and the foreign keys raise to 4xx problems.
 * A refusal of a request field names it in the problem's `invalidParams`
 * (`name` as the client writes it: `runAt`, `payload.url`, `jobs[2].task`).
 */
import { AppError, invalidParams } from '../errors.js'

const field = (code: string, status: number, name: string, reason: string, detail?: string) =>
  invalidParams(code, status, [{ name, reason }], detail)

export const JobsErrors = {
  unknownQueue: (queue: string) =>
    new AppError('JOBS_UNKNOWN_QUEUE', 404, `There is no queue named ${queue}`),
  unknownTask: (task: string, known: string[]) =>
    field(
      'JOBS_UNKNOWN_TASK',
      422,
      'task',
      `is not a task this server runs (known: ${known.join(', ')})`,
      `There is no task named ${task}; known: ${known.join(', ')}`,
    ),
  notOwnersTask: (task: string, queue: string, owner: string, tasks: readonly string[]) =>
    field(
      'JOBS_TASK_NOT_OF_QUEUE_OWNER',
      422,
      'task',
      `is not a task of system ${owner}, which owns queue ${queue} (its tasks: ${tasks.join(', ') || 'none'})`,
      `Queue ${queue} belongs to system ${owner}, whose workers alone fetch it, and ${owner} has no task named ${task} (its tasks: ${tasks.join(', ') || 'none'})`,
    ),
  unknownJob: (id: string) => new AppError('JOBS_UNKNOWN_JOB', 404, `There is no job ${id}`),
  unknownSchedule: (name: string) =>
    new AppError('JOBS_UNKNOWN_SCHEDULE', 404, `There is no schedule named ${name}`),
  unknownParent: (name = 'dependsOn') =>
    field(
      'JOBS_UNKNOWN_DEPENDENCY',
      422,
      name,
      'names a job that does not exist',
      'A job this one depends on does not exist',
    ),
  payloadTooLarge: (size: number, limit: number) =>
    field(
      'JOBS_PAYLOAD_TOO_LARGE',
      413,
      'payload',
      `is ${size} bytes, over the limit of ${limit}`,
      `The payload is ${size} bytes, over the limit of ${limit}`,
    ),
  /** A bad value of the field `name` (detail: `<name> <reason>`). */
  invalid: (name: string, reason: string) => field('JOBS_INVALID', 422, name, reason),
  /** A request that is wrong as a whole, not in one field (the detail says what to send). */
  invalidRequest: (message: string, names: string[] = []) =>
    invalidParams(
      'JOBS_INVALID',
      422,
      names.map((name) => ({ name, reason: message })),
      message,
    ),
  invalidRunAt: (reason: string) => field('JOBS_INVALID_RUN_AT', 422, 'runAt', reason),
  invalidCron: (message: string) => field('JOBS_INVALID_CRON', 422, 'cron', message, message),
  invalidTimeZone: (tz: string) =>
    field(
      'JOBS_INVALID_TIME_ZONE',
      422,
      'tz',
      'is not an IANA time zone',
      `${JSON.stringify(tz)} is not an IANA time zone`,
    ),
  cycle: (names: string[]) =>
    field(
      'JOBS_DEPENDENCY_CYCLE',
      422,
      'dependsOn',
      `forms a cycle: ${names.join(' -> ')}`,
      `The dependencies form a cycle: ${names.join(' -> ')}`,
    ),
  forbiddenTarget: (reason: string) => field('JOBS_FORBIDDEN_TARGET', 422, 'payload.url', reason, reason),
  unreachableTarget: (reason: string) => field('JOBS_UNREACHABLE_TARGET', 422, 'payload.url', reason, reason),
  idempotencyReused: () =>
    field(
      'JOBS_IDEMPOTENCY_KEY_REUSED',
      422,
      'Idempotency-Key',
      'was used with a different request; use a new key',
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
  unknownKey: (queue: string, key: string) =>
    new AppError(
      'JOBS_UNKNOWN_KEY',
      404,
      `No pending job of queue ${queue} has the key ${JSON.stringify(key)}`,
    ),
  hasDependents: (message: string) => new AppError('JOBS_HAS_DEPENDENTS', 409, message),
  notAPullQueue: (queue: string) =>
    new AppError(
      'JOBS_NOT_A_PULL_QUEUE',
      409,
      `Queue ${queue} is run by this server's workers; make it a pull queue (PUT /jobs/queues/${queue} with "pull": true) to lease its jobs over HTTP`,
    ),
  leaseLost: (id: string) =>
    new AppError(
      'JOBS_LEASE_LOST',
      409,
      `Job ${id} is not leased with this token: the lease expired (the job was retried or leased again), or the job was cancelled or finished`,
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
      // add_job()'s messages start with the parameter: `max_attempts must be ...` -> maxAttempts.
      const param = /^([a-z_]+) (.+)$/.exec(m)
      if (param)
        throw JobsErrors.invalid(
          param[1]!.replace(/_([a-z])/g, (_x, c: string) => c.toUpperCase()),
          param[2]!,
        )
      throw JobsErrors.invalidRequest(m)
    }
    if (e.code === '23505' && /jobs_key/.test(e.constraint ?? ''))
      throw new AppError('JOBS_KEY_CONFLICT', 409, 'A pending job with the same key exists')
    if (e.code === '55000' && /depend on it/.test(e.message ?? ''))
      throw JobsErrors.hasDependents(`${(e.message ?? '').replace(/^job/, 'Job')}`)
    if (e.code === '23514')
      throw JobsErrors.invalidRequest(`a value is out of range (${e.constraint ?? 'check'})`)
  }
  throw err
}
