/**
 * The built-in tasks: `http` (HTTP targets, http-task.ts) and three small
 * ones the console and the tests use: `noop`, `sleep` (waits payload.ms,
 * reports progress, stops when aborted) and `fail` (throws payload.message).
 * An application adds its own with `tasks` in createJobs / the system's
 * registry (see README).
 */
import { JobsErrors } from '../../platform/jobs/errors.js'
import type { TaskDefinition } from '../../platform/jobs/types.js'
import { type HttpTaskOptions, httpTask } from './http-task.js'

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(signal.reason)
      },
      { once: true },
    )
  })
}

const noop: TaskDefinition = { description: 'does nothing and completes', handler: () => undefined }

const sleepTask: TaskDefinition = {
  description: 'waits payload.ms milliseconds (at most 1 hour), reporting progress',
  validate(p) {
    const ms = (p as { ms?: unknown } | null)?.ms
    if (ms !== undefined && (!Number.isInteger(ms) || (ms as number) < 0 || (ms as number) > 3_600_000))
      throw JobsErrors.invalid('payload.ms', 'must be an integer between 0 and 3600000')
  },
  async handler(p, ctx) {
    const ms = ((p as { ms?: number } | null)?.ms ?? 1000) as number
    const steps = Math.min(10, Math.max(1, Math.floor(ms / 100)))
    for (let i = 1; i <= steps; i++) {
      await sleep(ms / steps, ctx.signal)
      if (steps > 1) await ctx.progress(Math.round((i / steps) * 100))
    }
    return { sleptMs: ms }
  },
}

const fail: TaskDefinition = {
  description: 'throws an error with payload.message (to watch retries and the dead state)',
  handler(p) {
    throw new Error(String((p as { message?: unknown } | null)?.message ?? 'this job always fails'))
  },
}

/** The built-in task registry entries. */
export function builtinTasks(http: HttpTaskOptions): [string, TaskDefinition][] {
  return [
    ['http', httpTask(http)],
    ['noop', noop],
    ['sleep', sleepTask],
    ['fail', fail],
  ]
}
