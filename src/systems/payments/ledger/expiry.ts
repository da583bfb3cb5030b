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
export function applyBatch(
  db: Db,
  store: PgLedgerStore,
  jobs: SystemJobs,
  batch: readonly TransferRequest[],
): Promise<TransferResult[]> {
  if (!batch.some((t) => t.kind === 'pending' && (t.timeoutSeconds ?? 0) > 0))
    return retryConflicts(() => store.createTransfers(batch))
  return retryConflicts(() => db.tx((tx) => applyInTx(tx, store, jobs, batch)))
}

/**
 * Apply a batch inside the caller's transaction: the transfers, and the expiry jobs of the
 * pending ones with a timeout (keys in ascending order, so two transactions that enqueue the
 * same seconds wait for each other rather than deadlock on the job keys).
 */
export async function applyInTx(
  tx: Queryable,
  store: PgLedgerStore,
  jobs: SystemJobs,
  batch: readonly TransferRequest[],
): Promise<TransferResult[]> {
  const results = await store.createTransfers(batch, tx)
  const seconds = new Set<number>()
  batch.forEach((t, i) => {
    if (results[i] === 'ok' && t.kind === 'pending' && t.timeoutSeconds)
      seconds.add(Math.ceil(Date.now() / 1000) + t.timeoutSeconds)
  })
  for (const s of [...seconds].sort((a, b) => a - b)) await scheduleExpiry(jobs, tx, new Date(s * 1000))
  return results
}

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back whole. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return code === '40P01' || code === '40001'
}

/**
 * Run `fn` again when PostgreSQL rolled it back for a deadlock or a serialization failure
 * (at most 5 attempts, a short random pause between). Safe because nothing of the failed
 * attempt stayed: the batch's transaction rolled back whole. The lock order of
 * ledger_create_transfers leaves no deadlock we know of; this is the belt to those braces
 * (same transfer ids in another order from another process, for example).
 */
export async function retryConflicts<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if (i >= attempts || !isRetryableConflict(err)) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 20 * i))
    }
  }
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
