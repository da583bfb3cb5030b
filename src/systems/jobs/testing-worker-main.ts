/**
 * The worker process of the crash test (multi-process.test.ts): two tasks
 * that write an effect row keyed by job id.
 * - `effect-tx` writes it with completeWith: the effect and the completion
 *   commit together under the lease, so it appears exactly once.
 * - `effect-plain` writes it, then returns: a crash between the two runs the
 *   job again, so it appears at least once (an idempotent handler would use
 *   INSERT ... ON CONFLICT DO NOTHING and get exactly once too).
 * Both commit without waiting for the WAL flush: the test kills workers, not
 * PostgreSQL, and 100,000 flushes on a small disk would be the whole runtime.
 */
import { runWorkerProcess } from './worker-process.js'

await runWorkerProcess((db) => ({
  'effect-tx': {
    handler: (_payload, ctx) =>
      ctx.completeWith((tx) =>
        tx.query(
          "INSERT INTO effects_tx (job_id) SELECT $1 FROM (SELECT set_config('synchronous_commit', 'off', true)) c",
          [ctx.job.id],
        ),
      ),
  },
  'effect-plain': {
    async handler(_payload, ctx) {
      await db.query(
        "INSERT INTO effects_plain (job_id) SELECT $1 FROM (SELECT set_config('synchronous_commit', 'off', true)) c",
        [ctx.job.id],
      )
    },
  },
}))
