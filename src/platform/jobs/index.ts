/**
 * Background jobs for every system: declare queues in `defineSystem({ jobs })`,
 * return task handlers from `create()` (`tasks`), enqueue with
 * `ctx.jobs.addJob(tx, queue, spec)` in the transaction of the write that
 * causes the job. The platform runs one worker pool per process for every
 * selected system's queues. See README.md.
 */
export { LeaseLostError } from './attempt.js'
export type { JobsDeclaration, QueueDeclaration, SystemJobs } from './declaration.js'
export { addJob, addJobs, type EnqueueOptions } from './enqueue.js'
export { JobsErrors } from './errors.js'
export type { RemovedJob, Reschedule, RescheduledJob } from './keyed-jobs.js'
export { removeJob, rescheduleJob } from './keyed-jobs.js'
export { jobsSchema, migrateJobTables } from './migrations.js'
export type {
  AddedJob,
  Backoff,
  FetchedJob,
  JobSpec,
  JobState,
  TaskContext,
  TaskDefinition,
  TaskRegistry,
} from './types.js'
export { runWorkerProcess } from './worker-process.js'
