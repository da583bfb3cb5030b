/**
 * Payments: a double-entry ledger (ledger/) under what will be a Stripe-shaped API. This file
 * only wires the parts: store -> batcher -> service -> routes, and the expiry job of pending
 * transfers. Read README.md first.
 */
import { requireBearerToken } from '../../platform/http/bearer-auth.js'
import { defineSystem } from '../../platform/system.js'
import { Counter, Histogram } from '../../platform/telemetry/metrics.js'
import { TransferBatcher } from './ledger/batcher.js'
import { applyBatch, EXPIRE_TASK, expiryTask, LEDGER_QUEUE } from './ledger/expiry.js'
import { ledgerRoutes } from './ledger/routes.js'
import { LedgerService } from './ledger/service.js'
import { PgLedgerStore } from './ledger/store.pg.js'
import { settings } from './settings.js'

export default defineSystem({
  name: 'payments',
  description:
    'Payments on a double-entry ledger: two-phase and linked transfers, group commit, idempotent ids',
  migrations: new URL('./sql/', import.meta.url),
  settings,
  jobs: {
    // Expiry of pending transfers (ledger/expiry.ts): a post or void after the timeout is
    // refused at once whatever the job's delay; the job only gives the reserved amount back.
    queues: { [LEDGER_QUEUE]: { concurrency: 1, globalConcurrency: 1, retentionMs: 3_600_000 } },
  },

  async create(ctx) {
    const s = ctx.settings
    const store = new PgLedgerStore(ctx.db)
    const registry = ctx.metrics.registry
    const batchSize = new Histogram({
      name: 'payments_ledger_batch_size',
      help: 'Transfers per ledger batch (one transaction, one round trip)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers: [registry],
    })
    const expired = new Counter({
      name: 'payments_ledger_expired_total',
      help: 'Pending transfers released after their timeout',
      registers: [registry],
    })
    const batcher = new TransferBatcher({
      apply: (batch) => applyBatch(ctx.db, store, ctx.jobs, batch),
      maxBatch: s.PAYMENTS_LEDGER_MAX_BATCH,
      maxInFlight: s.PAYMENTS_LEDGER_MAX_IN_FLIGHT,
      onBatch: (n) => batchSize.observe(n),
    })
    const ledger = new LedgerService(store, batcher)

    return {
      routes(app) {
        requireBearerToken(app, {
          token: s.PAYMENTS_API_TOKEN,
          code: 'PAYMENTS_UNAUTHORIZED',
          realm: 'payments',
          message: 'the payments API needs Authorization: Bearer <PAYMENTS_API_TOKEN>',
        })
        ledgerRoutes(app, ledger)
      },
      tasks: {
        [EXPIRE_TASK]: expiryTask(ctx.db, store, ctx.jobs, s.PAYMENTS_LEDGER_EXPIRE_BATCH, (n) =>
          expired.inc(n),
        ),
      },
      close: () => batcher.drain(),
    }
  },
})
