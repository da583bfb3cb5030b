/**
 * The payments benchmark (`npm run bench -- payments`), on PostgreSQL (DATABASE_URL or
 * 127.0.0.1:5432/test; `scripts/services.sh up`).
 *
 * - ledger-c1 / -c10 / -c100: that many concurrent clients in this process, each submitting one
 *   transfer at a time between two random accounts of 10,000 (awaiting its result before the
 *   next), through the ledger (bench/ledger-side.ts) against the floor: the same batcher writing
 *   the same rows with one bare INSERT per batch. ops = transfers applied.
 * - ledger-2p-c1 / -c10 / -c100: the same with two-phase transfers: each client creates a pending
 *   transfer, then posts it (no timeout: the expiry job is not in the way). Both count: ops =
 *   ledger transfers, as TigerBeetle counts them; a payment is two of them.
 * - payment-intents: stripe-node clients against a Blueprints server (SYSTEMS=payments on the same
 *   PostgreSQL), each creating a PaymentIntent with a test card and confirming it (two calls, a
 *   charge that moves money in the ledger). ops = confirmed PaymentIntents; latency = both calls.
 */
import Stripe from 'stripe'
import { startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchScenario, BenchSuite, CustomLoad, StartedServer } from '../../../bench/types.js'
import { testServiceUrls } from '../../platform/config.js'
import {
  ACCOUNTS,
  createLedgerSide,
  dropSchemasWithPrefix,
  type LedgerSide,
  type LedgerSideKind,
  RUN_ID,
} from './bench/ledger-side.js'
import type { TransferRequest } from './ledger/ports.js'

const sideOf = new WeakMap<StartedServer, LedgerSide>()

/**
 * One start function per side, shared by the six ledger scenarios (the runner shares a server
 * between scenarios that pass the same function): the tables grow across them, as a ledger's do.
 */
function startSide(kind: LedgerSideKind): () => Promise<StartedServer> {
  return async () => {
    const side = await createLedgerSide(kind, `paybench_${RUN_ID}_${kind}`)
    const server: StartedServer = {
      url: `in-process, schema ${side.schema}`,
      pid: -1,
      stop: () => side.close(),
    }
    sideOf.set(server, side)
    return server
  }
}
const ledgerSide = startSide('ledger')
const floorSide = startSide('floor')

let seq = 0
const pick = () => `c${Math.floor(Math.random() * ACCOUNTS)}`

function transfers(clients: number, twoPhase: boolean): CustomLoad {
  return {
    kind: 'custom',
    async run({ durationMs, server }) {
      const side = server && sideOf.get(server)
      if (!side) throw new Error('the ledger side was not started')
      const latenciesMs: number[] = []
      let ops = 0
      let errors = 0
      const end = Date.now() + durationMs
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (Date.now() < end) {
            const debit = pick()
            let credit = pick()
            while (credit === debit) credit = pick()
            const id = `${RUN_ID}-${side.kind}-${++seq}`
            const t: TransferRequest = {
              id,
              kind: twoPhase ? 'pending' : 'single',
              debitAccountId: debit,
              creditAccountId: credit,
              amount: 1n,
              currency: 'usd',
            }
            try {
              const t0 = performance.now()
              const [r] = await side.submit([t])
              latenciesMs.push(performance.now() - t0)
              if (r !== 'ok') {
                errors++
                continue
              }
              ops++
              if (!twoPhase) continue
              const t1 = performance.now()
              const [p] = await side.submit([{ id: `${id}-post`, kind: 'post', pendingId: id }])
              latenciesMs.push(performance.now() - t1)
              if (p === 'ok') ops++
              else errors++
            } catch {
              errors++
            }
          }
        }),
      )
      return { ops, latenciesMs, errors }
    },
  }
}

const ledgerScenario = (clients: number, twoPhase: boolean): BenchScenario => ({
  name: `ledger${twoPhase ? '-2p' : ''}-c${clients}`,
  description:
    `${clients} concurrent client(s) in process, one ${twoPhase ? 'two-phase transfer (pending, then post: two transfers)' : 'transfer'} ` +
    `at a time each, between random accounts of ${ACCOUNTS.toLocaleString('en-US')} (limit: cannot go negative). ` +
    'ledger: TransferBatcher (batches up to 2,000, 4 in flight, none sharing an account) -> ledger_create_transfers (read the accounts, apply in memory, one conditional UPDATE as the lock; locked path on conflict, ' +
    'check limits, update balances, insert the transfer rows), one statement and one durable commit per batch. ' +
    'bare inserts: the same batcher, one INSERT of the same rows per batch into a copy of the transfers table ' +
    '(same primary key and indexes), nothing else. ops = transfers; latency = one submit.',
  subjects: [
    { name: 'ledger', role: 'system', start: ledgerSide, load: transfers(clients, twoPhase) },
    { name: 'bare inserts', role: 'baseline', start: floorSide, load: transfers(clients, twoPhase) },
  ],
  goals: { 'bare inserts': 0.5 },
})

const SECRET_KEY = 'sk_test_benchBENCHbench0123456789'
const PI_CLIENTS = 16

/** The server, in schemas of its own prefix, dropped when it stops (a run leaves nothing behind). */
async function paymentsServer(): Promise<StartedServer> {
  const prefix = `paybench_${RUN_ID}_`
  const server = await startBlueprints({
    env: {
      SYSTEMS: 'payments',
      DATABASE_URL: testServiceUrls().databaseUrl,
      DB_SCHEMA_PREFIX: prefix,
      PAYMENTS_INITIAL_SECRET_KEY: SECRET_KEY,
    },
  })
  return {
    url: server.url,
    pid: server.pid,
    async stop() {
      await server.stop()
      await dropSchemasWithPrefix(prefix)
    },
  }
}

const paymentIntents: CustomLoad = {
  kind: 'custom',
  async run({ durationMs, server }) {
    const u = new URL(server!.url)
    const stripe = new Stripe(SECRET_KEY, {
      host: u.hostname,
      port: Number(u.port),
      protocol: 'http',
      maxNetworkRetries: 0,
      timeout: 60_000,
    })
    const latenciesMs: number[] = []
    let ops = 0
    let errors = 0
    const end = Date.now() + durationMs
    await Promise.all(
      Array.from({ length: PI_CLIENTS }, async () => {
        while (Date.now() < end) {
          const t0 = performance.now()
          try {
            const pi = await stripe.paymentIntents.create({
              amount: 2000,
              currency: 'usd',
              payment_method: 'pm_card_visa',
            })
            const done = await stripe.paymentIntents.confirm(pi.id)
            latenciesMs.push(performance.now() - t0)
            if (done.status === 'succeeded') ops++
            else errors++
          } catch {
            errors++
          }
        }
      }),
    )
    return { ops, latenciesMs, errors }
  },
}

const suite: BenchSuite = {
  system: 'payments',
  scenarios: [
    ...[1, 10, 100].map((c) => ledgerScenario(c, false)),
    ...[1, 10, 100].map((c) => ledgerScenario(c, true)),
    {
      name: 'payment-intents',
      description:
        `${PI_CLIENTS} concurrent stripe-node clients against a Blueprints server (SYSTEMS=payments, PostgreSQL, ` +
        'defaults), each creating a PaymentIntent (2000 usd, pm_card_visa) and confirming it: two calls, the charge ' +
        "moves money into the merchant's ledger account in the confirm's transaction. ops = confirmed PaymentIntents; " +
        'latency = create + confirm.',
      subjects: [{ name: 'blueprints', role: 'system', start: paymentsServer, load: paymentIntents }],
    },
  ],
}

export default suite
