/**
 * The reconciliation job: every balance checked against the sum of its transfers (the store's
 * `reconcile`, an audit that reads every transfer). A difference can only come from a bug or from
 * someone writing to the tables by hand, and it must not wait for a customer to notice it: each
 * run sets `payments_ledger_discrepancies` (0 when the ledger reconciles; alert on > 0), counts
 * its runs, and logs every difference at error level with the account and both figures.
 */

import type { TaskDefinition } from '../../../platform/jobs/types.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { Counter, Gauge, type Registry } from '../../../platform/telemetry/metrics.js'
import type { Discrepancy } from './ports.js'

export const RECONCILE_TASK = 'payments.reconcile-ledger'

export interface ReconcileMetrics {
  discrepancies: Gauge
  runs: Counter
}

export function reconcileMetrics(registry: Registry): ReconcileMetrics {
  return {
    discrepancies: new Gauge({
      name: 'payments_ledger_discrepancies',
      help: 'Balances that differed from the sum of their transfers at the last reconciliation (0: reconciled)',
      registers: [registry],
    }),
    runs: new Counter({
      name: 'payments_ledger_reconciliations_total',
      help: 'Reconciliation runs of the ledger, by outcome (reconciled, discrepancies)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  }
}

export function reconcileTask(
  reconcile: () => Promise<Discrepancy[]>,
  metrics: ReconcileMetrics,
  log: Logger,
): TaskDefinition {
  return {
    description: 'Check every ledger balance against the sum of its transfers; alarm on a difference',
    async handler() {
      const found = await reconcile()
      metrics.discrepancies.set(found.length)
      metrics.runs.inc({ outcome: found.length === 0 ? 'reconciled' : 'discrepancies' })
      for (const d of found)
        log.error(
          {
            event: 'payments.ledger.discrepancy',
            accountId: d.accountId,
            field: d.field,
            stored: d.stored.toString(),
            fromTransfers: d.fromTransfers.toString(),
          },
          'ledger balance differs from the sum of its transfers',
        )
      return { discrepancies: found.length }
    },
  }
}
