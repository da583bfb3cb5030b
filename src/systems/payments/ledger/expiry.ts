/**
 * Expiry of pending transfers, on the job engine (platform/jobs). A batch that creates pending
 * transfers with a timeout enqueues, in its own transaction, one job per second in which some of
 * them expire (keyed by that second, so a busy second makes one job, not thousands). The job
 * releases every pending transfer due by then, and enqueues the next one for the earliest still
 * waiting, so that a job that ran early (clocks differ) or a lost one heals itself.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import type { TaskDefinition } from '../../../platform/jobs/types.js'
import type { TransferRequest, TransferResult } from './ports.js'
import type { PgLedgerStore } from './store.pg.js'

export const LEDGER_QUEUE = 'payments.ledger'
export const EXPIRE_TASK = 'payments.expire-pending'

/** Enqueue the expiry job for `at` (rounded up to the next second, plus one of margin). */
export async function scheduleExpiry(jobs: SystemJobs, tx: Queryable, at: Date): Promise<void> {
  const second = Math.ceil(at.getTime() / 1000) + 1
  await jobs.addJob(tx, LEDGER_QUEUE, {
    task: EXPIRE_TASK,
    runAt: new Date(second * 1000),
    key: `expire-${second}`,
    keyMode: 'keep',
  })
}

/**
 * Apply a batch: alone in one statement, or, when it creates pending transfers with a timeout,
 * in a transaction with their expiry jobs (a job exists if and only if its transfers committed).
 */
export async function applyBatch(
  db: Db,
  store: PgLedgerStore,
  jobs: SystemJobs,
  batch: readonly TransferRequest[],
): Promise<TransferResult[]> {
  if (!batch.some((t) => t.kind === 'pending' && (t.timeoutSeconds ?? 0) > 0))
    return store.createTransfers(batch)
  return db.tx(async (tx) => {
    const results = await store.createTransfers(batch, tx)
    const seconds = new Set<number>()
    batch.forEach((t, i) => {
      if (results[i] === 'ok' && t.kind === 'pending' && t.timeoutSeconds)
        seconds.add(Math.ceil(Date.now() / 1000) + t.timeoutSeconds)
    })
    for (const s of seconds) await scheduleExpiry(jobs, tx, new Date(s * 1000))
    return results
  })
}

/** The task: release what is due (in rounds of `max`), then enqueue the next expiry. */
export function expiryTask(
  db: Db,
  store: PgLedgerStore,
  jobs: SystemJobs,
  max: number,
  onExpired: (n: number) => void,
): TaskDefinition {
  return {
    description: 'Release pending ledger transfers past their timeout',
    async handler() {
      let total = 0
      for (;;) {
        const n = await store.expirePending(max)
        total += n
        if (n < max) break
      }
      onExpired(total)
      const next = await store.nextExpiry()
      if (next) await scheduleExpiry(jobs, db, next)
      return { expired: total }
    },
  }
}
