/**
 * The worker process of the crash test (multi-process.test.ts): two tasks
 * that write an effect row keyed by job id.
 * - `effect-tx` writes it with completeWith: the effect and the completion
 *   commit together under the lease, so it appears exactly once.
 * - `effect-plain` writes it, then returns: a crash between the two runs the
 *   job again, so it appears at least once (an idempotent handler would use
 *   INSERT ... ON CONFLICT DO NOTHING and get exactly once too).
 * - `overlap` counts itself in the one row of table `overlap` while it runs
 *   (`running`, and the highest count seen, `peak`), for payload.ms: a serial
 *   queue's jobs must never be seen two at a time (serial-queue.test.ts).
 * The effect tasks commit without waiting for the WAL flush: the test kills workers, not
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
  overlap: {
    async handler(payload, ctx) {
      // Each UPDATE commits on its own, so `running` is how many overlap handlers are between the two.
      await db.query(
        'UPDATE overlap SET running = running + 1, peak = greatest(peak, running + 1), runs = runs + 1',
      )
      await new Promise((r) => setTimeout(r, (payload as { ms?: number } | null)?.ms ?? 5))
      await db.query('UPDATE overlap SET running = running - 1')
      if (ctx.signal.aborted) throw new Error('aborted')
    },
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
