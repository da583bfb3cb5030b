/** TypeBox schemas of the REST API (they are the OpenAPI document too). */
import { Type } from '@sinclair/typebox'
import { STATES } from '../../platform/jobs/types.js'

export const Name = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$',
  description: 'a queue or schedule name',
})
export const JobId = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'a job id (decimal)' })
export const State = Type.Union(
  STATES.map((s) => Type.Literal(s)),
  {
    description:
      'waiting, scheduled (delayed or waiting for dependencies), active, completed, failed (retry due), dead, cancelled',
  },
)

const jobFields = {
  task: Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'a registered task name (GET /jobs/tasks)',
  }),
  payload: Type.Optional(Type.Unknown({ description: 'any JSON, at most JOBS_MAX_PAYLOAD_BYTES' })),
  priority: Type.Optional(
    Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'higher runs first' }),
  ),
  runAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'not before this time (at most a day past, a year ahead)',
    }),
  ),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'dedupe / debounce key' })),
  keyMode: Type.Optional(
    Type.Union([Type.Literal('replace'), Type.Literal('keep'), Type.Literal('preserve_run_at')], {
      description:
        'with a pending job of the same key: replace (debounce: update it, run time included), keep (dedupe: leave it), preserve_run_at (throttle: update it but keep its first run time)',
    }),
  ),
  groupKey: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'rate-limit group (tenant)' }),
  ),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
  dependsOn: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 })),
  onParentFailure: Type.Optional(Type.Union([Type.Literal('fail'), Type.Literal('release')])),
}

export const EnqueueBody = Type.Object(jobFields, { additionalProperties: false })
export const BatchBody = Type.Object(
  {
    jobs: Type.Array(
      Type.Object(
        {
          ...jobFields,
          ref: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: 'a name other items use in dependsOn' }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
)

export const Added = Type.Object({ id: Type.String(), state: State, deduplicated: Type.Boolean() })

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

/**
 * An integer or null, as one type list rather than a union: with a union, the validator's type
 * coercion turns a 0 that fails the minimum into null (its null branch accepts 0), so
 * `{"globalConcurrency": 0}` would mean "no limit" instead of a 400.
 */
const NullableInt = (o: { minimum: number; maximum: number; description?: string }) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], ...o })

export const Attempt = Type.Object({
  attempt: Type.Integer(),
  worker: Nullable(Type.String()),
  error: Type.String(),
  stack: Nullable(Type.String()),
  startedAt: Nullable(Type.String()),
  finishedAt: Type.String(),
})

export const Job = Type.Object({
  id: Type.String(),
  queue: Type.String(),
  task: Type.String(),
  payload: Type.Unknown(),
  state: State,
  priority: Type.Integer(),
  runAt: Type.String(),
  attemptsMade: Type.Integer(),
  maxAttempts: Type.Integer(),
  key: Nullable(Type.String()),
  groupKey: Nullable(Type.String()),
  timeoutMs: Nullable(Type.Integer()),
  progress: Type.Unknown(),
  result: Type.Unknown(),
  lastError: Nullable(Type.String()),
  stalls: Type.Integer(),
  dependsOn: Type.Array(Type.String()),
  pendingDependencies: Type.Integer(),
  onParentFailure: Type.String(),
  schedule: Nullable(Type.String()),
  tick: Nullable(Type.String()),
  traceparent: Nullable(Type.String()),
  lockedBy: Nullable(Type.String()),
  lockedUntil: Nullable(Type.String()),
  createdAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  deadLetterOf: Nullable(Type.String({ description: 'the dead job this one is the dead-letter copy of' })),
  attempts: Type.Optional(
    Type.Array(Attempt, { description: 'failed attempts, oldest first, with error and stack' }),
  ),
})

export const Counts = Type.Object(Object.fromEntries(STATES.map((s) => [s, Type.Integer()])))

const queueSettings = {
  concurrency: NullableInt({ minimum: 1, maximum: 1000 }),
  rateLimit: NullableInt({ minimum: 1, maximum: 1_000_000 }),
  ratePeriodMs: NullableInt({ minimum: 1, maximum: 86_400_000 }),
  groupRateLimit: NullableInt({ minimum: 1, maximum: 1_000_000 }),
  groupRatePeriodMs: NullableInt({ minimum: 1, maximum: 86_400_000 }),
  globalConcurrency: NullableInt({
    minimum: 1,
    maximum: 10_000,
    description: 'jobs of the queue active at once across every process (1: a serial queue); null: no limit',
  }),
  maxAttempts: NullableInt({
    minimum: 1,
    maximum: 1000,
    description: "default of the queue's jobs (else 25)",
  }),
  backoffBaseMs: NullableInt({
    minimum: 0,
    maximum: 86_400_000,
    description: 'retry delay base (else JOBS_BACKOFF_BASE_MS)',
  }),
  backoffMaxMs: NullableInt({
    minimum: 0,
    maximum: 86_400_000,
    description: 'retry delay cap (else JOBS_BACKOFF_MAX_MS)',
  }),
  retentionMs: NullableInt({
    minimum: 0,
    maximum: 31_536_000_000,
    description: 'completed and cancelled jobs kept this long (else JOBS_RETENTION_MS)',
  }),
  deadRetentionMs: NullableInt({
    minimum: 0,
    maximum: 31_536_000_000,
    description: 'dead jobs kept this long (else JOBS_DEAD_RETENTION_MS)',
  }),
  deadLetter: Nullable(
    Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$',
      description:
        'an existing queue that receives a copy of every job of this one that dies after its last attempt',
    }),
  ),
}

const Pull = Type.Boolean({
  description:
    'a pull queue: its jobs are run by external workers over HTTP (POST /jobs/pull/fetch), never by this process, and it accepts any task name',
})
export const QueueBody = Type.Partial(Type.Object({ ...queueSettings, pull: Pull }), {
  additionalProperties: false,
})
export const Queue = Type.Object({
  name: Type.String(),
  paused: Type.Boolean(),
  system: Nullable(
    Type.String({
      description:
        'the system that declared the queue in its defineSystem (its jobs run where that system runs); null: made through this API or SQL, run by the jobs system',
    }),
  ),
  ...queueSettings,
  pull: Pull,
  createdAt: Type.String(),
  counts: Counts,
})

export const ScheduleBody = Type.Object(
  {
    queue: Type.Optional(Name),
    task: Type.String({ minLength: 1, maxLength: 100 }),
    payload: Type.Optional(Type.Unknown()),
    cron: Type.String({
      minLength: 1,
      maxLength: 200,
      description: '5 fields, or 6 with seconds first, or @hourly/@daily/...',
    }),
    tz: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, default UTC' }),
    ),
    catchUp: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('latest'), Type.Literal('none')])),
    priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const Schedule = Type.Object({
  name: Type.String(),
  queue: Type.String(),
  task: Type.String(),
  payload: Type.Unknown(),
  cron: Type.String(),
  tz: Type.String(),
  catchUp: Type.String(),
  priority: Type.Integer(),
  maxAttempts: Type.Integer(),
  enabled: Type.Boolean(),
  nextTick: Type.String(),
  lastTick: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const RedriveBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(JobId, { minItems: 1, maxItems: 10_000 })),
    queue: Type.Optional(Name),
    task: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    all: Type.Optional(
      Type.Boolean({ description: 'redrive every dead and cancelled job (needed when no filter is given)' }),
    ),
  },
  { additionalProperties: false },
)
