/**
 * Payments: a double-entry ledger (ledger/) under a Stripe-shaped API (stripe/). This file only
 * wires the parts: the ledger's store -> batcher -> service -> routes under `/payments`, the
 * Stripe API under `/v1` (where stripe-node expects it), and the jobs: expiry of pending
 * transfers, webhook deliveries, the sweep of old idempotency keys. Read README.md first.
 */
import { requireBearerToken } from '../../platform/http/bearer-auth.js'
import { guardedAgent } from '../../platform/net/guarded-agent.js'
import { defineSystem } from '../../platform/system.js'
import { Counter, Histogram } from '../../platform/telemetry/metrics.js'
import { TransferBatcher } from './ledger/batcher.js'
import { applyBatch, EXPIRE_TASK, expiryTask, LEDGER_QUEUE } from './ledger/expiry.js'
import { RECONCILE_TASK, reconcileMetrics, reconcileTask } from './ledger/reconcile.js'
import { ledgerRoutes } from './ledger/routes.js'
import { LedgerService } from './ledger/service.js'
import { PgLedgerStore } from './ledger/store.pg.js'
import { Acquirer } from './saga/acquirer.js'
import { sagaRoutes } from './saga/routes.js'
import { CALLBACK_TASK, CheckoutSagas, SAGA_QUEUE, SAGA_TASK } from './saga/saga.js'
import { Warehouse } from './saga/warehouse.js'
import { settings } from './settings.js'
import { stripeApi } from './stripe/api.js'
import { balanceTransactionRoutes } from './stripe/balance-transactions.js'
import { customerRoutes } from './stripe/customers.routes.js'
import { DELIVER_TASK, Events, WEBHOOK_QUEUE } from './stripe/events.js'
import { Idempotency } from './stripe/idempotency.js'
import { SecretKeys } from './stripe/keys.js'
import { Money } from './stripe/money.js'
import { ObjectStore } from './stripe/objects.store.js'
import { paymentIntentRoutes } from './stripe/payment-intents.routes.js'
import { BANK_QUEUE, PAYOUT_TASK, payoutRoutes, payoutTask } from './stripe/payouts.js'
import { refundRoutes } from './stripe/refunds.routes.js'
import { threeDSecureRoutes } from './stripe/three-d-secure.js'
import { deliveryTask, webhookRoutes } from './stripe/webhooks.js'

const SWEEP_TASK = 'payments.sweep-idempotency-keys'

export default defineSystem({
  name: 'payments',
  description:
    'Payments: a Stripe-shaped API (/v1, stripe-node works unchanged) on a double-entry ledger with two-phase transfers and group commit',
  // Stripe's routes live at /v1 (stripe-node cannot change the prefix); the rest under /payments.
  prefix: '',
  migrations: new URL('./sql/', import.meta.url),
  settings,
  jobs: {
    // Expiry of pending transfers (ledger/expiry.ts): a post or void after the timeout is
    // refused at once whatever the job's delay; the job only gives the reserved amount back.
    queues: {
      [LEDGER_QUEUE]: { concurrency: 1, globalConcurrency: 1, retentionMs: 3_600_000 },
      // One job per stream (an object's events to one endpoint), delivered in order; retried with
      // the task's backoff (settings).
      [WEBHOOK_QUEUE]: { concurrency: 8, retentionMs: 24 * 3_600_000 },
      // The simulated bank's answers to payouts (stripe/payouts.ts).
      [BANK_QUEUE]: { concurrency: 4, retentionMs: 24 * 3_600_000 },
      // Checkout sagas (saga/): one job per checkout, retried until it ends; acquirer callbacks.
      [SAGA_QUEUE]: { concurrency: 4, retentionMs: 24 * 3_600_000 },
    },
    schedules: {
      'payments.idempotency-sweep': { queue: LEDGER_QUEUE, task: SWEEP_TASK, cron: '@hourly' },
      // An audit that reads every transfer: every 10 minutes (ledger/reconcile.ts).
      'payments.reconciliation': { queue: LEDGER_QUEUE, task: RECONCILE_TASK, cron: '*/10 * * * *' },
    },
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
    const deliveries = new Counter({
      name: 'payments_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, failed, skipped)',
      labelNames: ['outcome'],
      registers: [registry],
    })
    const batcher = new TransferBatcher({
      apply: (batch) => applyBatch(ctx.db, store, ctx.jobs, batch),
      maxBatch: s.PAYMENTS_LEDGER_MAX_BATCH,
      maxInFlight: s.PAYMENTS_LEDGER_MAX_IN_FLIGHT,
      onBatch: (n) => batchSize.observe(n),
    })
    const ledger = new LedgerService(store, batcher)

    const objects = new ObjectStore()
    const keys = new SecretKeys(ctx.db)
    if (s.PAYMENTS_INITIAL_SECRET_KEY) await keys.add(s.PAYMENTS_INITIAL_SECRET_KEY)
    const idempotency = new Idempotency(ctx.db)
    const deps = {
      db: ctx.db,
      objects,
      idempotency,
      keys,
      money: new Money(ctx.db, store, ctx.jobs, s.PAYMENTS_BALANCE_SHARDS),
      events: new Events(objects, ctx.jobs, s.PAYMENTS_WEBHOOK_MAX_ATTEMPTS),
      publicUrl: ctx.config.publicUrl,
    }
    const acquirer = new Acquirer(ctx.db, {
      latencyMs: s.PAYMENTS_ACQUIRER_LATENCY_MS,
      errorRate: s.PAYMENTS_ACQUIRER_ERROR_PCT / 100,
      timeoutRate: s.PAYMENTS_ACQUIRER_TIMEOUT_PCT / 100,
      chargedTimeoutRate: s.PAYMENTS_ACQUIRER_CHARGED_TIMEOUT_PCT / 100,
      duplicateCallbackRate: s.PAYMENTS_ACQUIRER_DUPLICATE_CALLBACK_PCT / 100,
    })
    const warehouse = new Warehouse(ctx.db)
    const sagas = new CheckoutSagas({
      db: ctx.db,
      jobs: ctx.jobs,
      acquirer,
      warehouse,
      ledger: (batch) => batcher.submit(batch),
      maxTries: s.PAYMENTS_SAGA_MAX_TRIES,
      failpoint: (point) => {
        if (point !== s.PAYMENTS_SAGA_CRASH_AT) return
        ctx.log.warn({ point }, 'PAYMENTS_SAGA_CRASH_AT: killing this process')
        process.kill(process.pid, 'SIGKILL')
      },
    })
    const agent = guardedAgent({
      allowed: new Set(s.PAYMENTS_WEBHOOK_ALLOWED_TARGETS.map((t) => t.toLowerCase())),
    })

    return {
      async routes(app) {
        await app.register(
          async (scope) => {
            requireBearerToken(scope, {
              token: s.PAYMENTS_API_TOKEN,
              code: 'PAYMENTS_UNAUTHORIZED',
              realm: 'payments',
              message: 'the payments API needs Authorization: Bearer <PAYMENTS_API_TOKEN>',
            })
            ledgerRoutes(scope, ledger)
            sagaRoutes(scope, sagas, warehouse, acquirer)
          },
          { prefix: '/payments' },
        )
        // The 3-D Secure page: a customer's browser reaches it with the client secret alone.
        await threeDSecureRoutes(app, deps)
        await stripeApi(app, deps, [
          customerRoutes(deps),
          paymentIntentRoutes(deps),
          refundRoutes(deps),
          balanceTransactionRoutes(deps),
          payoutRoutes({ ...deps, jobs: ctx.jobs, payoutDelayMs: s.PAYMENTS_PAYOUT_DELAY_MS }),
          webhookRoutes(deps),
        ])
      },
      tasks: {
        [EXPIRE_TASK]: expiryTask(ctx.db, store, ctx.jobs, s.PAYMENTS_LEDGER_EXPIRE_BATCH, (n) =>
          expired.inc(n),
        ),
        [DELIVER_TASK]: deliveryTask({
          db: ctx.db,
          objects,
          jobs: ctx.jobs,
          agent,
          timeoutMs: s.PAYMENTS_WEBHOOK_TIMEOUT_MS,
          maxAttempts: s.PAYMENTS_WEBHOOK_MAX_ATTEMPTS,
          backoff: { baseMs: s.PAYMENTS_WEBHOOK_BACKOFF_BASE_MS, maxMs: s.PAYMENTS_WEBHOOK_BACKOFF_MAX_MS },
          onAttempt: (outcome) => deliveries.inc({ outcome }),
        }),
        [PAYOUT_TASK]: payoutTask(deps),
        [SAGA_TASK]: {
          description: 'Run a checkout saga until it is completed or compensated',
          backoff: { baseMs: 200, maxMs: 10_000 },
          handler: async (payload) => ({ status: await sagas.advance((payload as { id: string }).id) }),
        },
        [CALLBACK_TASK]: {
          description: "The simulated acquirer's settlement callback to a checkout saga",
          handler: async (payload) => {
            const p = payload as { id: string; key: string }
            return sagas.callback(p.id, p.key)
          },
        },
        [RECONCILE_TASK]: reconcileTask(() => store.reconcile(), reconcileMetrics(registry), ctx.log),
        [SWEEP_TASK]: {
          description: 'Forget Idempotency-Keys older than 24 hours',
          handler: async () => ({ deleted: await idempotency.sweep() }),
        },
      },
      close: async () => {
        await batcher.drain()
        await agent.close()
      },
    }
  },
})
