/**
 * `ctx.jobs`: enqueue, remove and reschedule bound to the installation's job
 * tables, for one system. A system enqueues only into the queues it declared
 * (a queue is its owner's, ARCHITECTURE.md: each system owns its queues); the
 * jobs system, which declares `undeclaredQueues`, into any.
 */
import type { Queryable } from '../db/port.js'
import type { JobsDeclaration, SystemJobs } from './declaration.js'
import { addJob, addJobs } from './enqueue.js'
import { removeJob, rescheduleJob } from './keyed-jobs.js'
import type { EngineSettingsValues } from './settings.js'
import type { TaskRegistry } from './types.js'

/** The engine's parts a system's handle needs. */
export interface EngineView {
  readonly schema: string
  readonly settings: EngineSettingsValues
  readonly tasks: TaskRegistry
}

/** `ctx.jobs` of `system`, which declared `decl` (undefined: no jobs; every call then throws). */
export function systemJobs(
  engine: EngineView | undefined,
  system: string,
  decl?: JobsDeclaration,
): SystemJobs {
  const check = (queue: string): EngineView => {
    if (!engine || !decl)
      throw new Error(`system ${system} declares no jobs: add jobs: { queues: { ... } } to its defineSystem`)
    if (!decl.undeclaredQueues && !Object.hasOwn(decl.queues ?? {}, queue))
      throw new Error(
        `system ${system} enqueues into queue ${queue}, which it does not declare (its queues: ${Object.keys(decl.queues ?? {}).join(', ') || 'none'})`,
      )
    return engine
  }
  const enqueueOpts = (e: EngineView) => ({
    schema: e.schema,
    maxPayloadBytes: e.settings.JOBS_MAX_PAYLOAD_BYTES,
  })
  const ready = (): EngineView => {
    if (!engine) throw new Error(`system ${system} declares no jobs: add jobs: { ... } to its defineSystem`)
    return engine
  }
  return {
    get schema() {
      return ready().schema
    },
    get settings() {
      return ready().settings
    },
    get tasks() {
      return ready().tasks
    },
    // async: a refusal is a rejected promise, as the database's are.
    addJob: async (tx: Queryable, queue, spec) => addJob(tx, queue, spec, enqueueOpts(check(queue))),
    addJobs: async (tx: Queryable, queue, specs) => addJobs(tx, queue, specs, enqueueOpts(check(queue))),
    removeJob: async (tx: Queryable, queue, key) =>
      removeJob(tx, queue, key, { schema: check(queue).schema }),
    rescheduleJob: async (tx: Queryable, queue, key, changes) =>
      rescheduleJob(tx, queue, key, changes, { schema: check(queue).schema }),
  }
}
