/**
 * The checkout saga: reserve -> authorize -> capture -> fulfil, orchestrated from a persisted
 * state (sql/0010 `saga_checkouts`) and log (`saga_log`), one job per checkout (platform/jobs).
 *
 *   running:      reserve ---> authorize ---> capture ---> fulfil ---> completed
 *                    |fail        |fail          |fail        |fail
 *   compensating:    v            v              v            v
 *                 (nothing)    release       void, release  refund, release  ---> compensated
 *
 * Every step and compensation calls an outside party with a key derived from the checkout id,
 * and each party applies a key at most once: so a step interrupted anywhere (the process
 * SIGKILLed after the acquirer charged, before the log says so) is simply run again when the
 * job is retaken, and the second run finds the first's effect instead of making another.
 * The acquirer's lost answer (a timeout, perhaps after it charged) is resolved by asking it
 * (`lookup(key)`) before retrying or giving up; giving up voids the key first, so an
 * authorization that lands late is refused. Compensations retry until they succeed: a saga
 * ends completed or fully compensated, never half-done.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { SystemJobs } from '../../../platform/jobs/declaration.js'
import type { TransferRequest, TransferResult } from '../ledger/ports.js'
import type { Acquirer, Answer } from './acquirer.js'
import type { Warehouse } from './warehouse.js'

export const SAGA_QUEUE = 'payments.sagas'
export const SAGA_TASK = 'payments.checkout-saga'
export const CALLBACK_TASK = 'payments.acquirer-callback'

export const STEPS = ['reserve', 'authorize', 'capture', 'fulfil'] as const
export const COMPENSATIONS = ['refund', 'void', 'release'] as const
export type Step = (typeof STEPS)[number]
export type Compensation = (typeof COMPENSATIONS)[number]

export interface Checkout {
  id: string
  status: 'running' | 'compensating' | 'completed' | 'compensated'
  amount: number
  currency: string
  card: string
  sku: string
  quantity: number
  done: Step[]
  undone: Compensation[]
  tries: Record<string, number>
  failure: string | null
}

export interface NewCheckout {
  id: string
  amount: number
  currency: string
  card: string
  sku: string
  quantity: number
}

export interface SagaOptions {
  db: Db
  jobs: SystemJobs
  acquirer: Acquirer
  warehouse: Warehouse
  /** Apply ledger transfers (idempotent by id): the money captured and refunded. */
  ledger: (batch: readonly TransferRequest[]) => Promise<TransferResult[]>
  /** Transient failures of a forward step before the saga gives up on it and compensates. */
  maxTries: number
  /** Test hook (PAYMENTS_SAGA_CRASH_AT): called after each effect, before it is recorded. */
  failpoint: (point: Step | Compensation) => void
}

type StepResult = { ok: true } | { ok: false; reason: string }

const isTransient = (err: unknown) => (err as { transient?: boolean })?.transient === true

/** What undoes each forward step that succeeded, last first (a refund makes a void needless). */
export function compensationsFor(done: readonly Step[]): Compensation[] {
  const out: Compensation[] = []
  if (done.includes('capture')) out.push('refund')
  else if (done.includes('authorize')) out.push('void')
  if (done.includes('reserve')) out.push('release')
  return out
}

export class CheckoutSagas {
  constructor(private readonly o: SagaOptions) {}

  /** The acquirer's key for a checkout's payment: one authorization per checkout, ever. */
  static paymentKey(id: string): string {
    return `${id}:payment`
  }

  /** Start a checkout (its row, log and job in one transaction); an existing id is returned as is. */
  async start(c: NewCheckout): Promise<{ checkout: Checkout; created: boolean }> {
    return this.o.db.tx(async (tx) => {
      const ins = await tx.query(
        `INSERT INTO saga_checkouts (id, status, amount, currency, card, sku, quantity)
         VALUES ($1, 'running', $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [c.id, c.amount, c.currency, c.card, c.sku, c.quantity],
      )
      if (ins.rowCount === 1) {
        await this.log(tx, c.id, 'saga', 'started')
        await this.o.jobs.addJob(tx, SAGA_QUEUE, {
          task: SAGA_TASK,
          payload: { id: c.id },
          key: `saga:${c.id}`,
          keyMode: 'keep',
          maxAttempts: 1000,
        })
      }
      return { checkout: (await this.get(c.id, tx))!, created: ins.rowCount === 1 }
    })
  }

  async get(id: string, on: Queryable = this.o.db): Promise<Checkout | undefined> {
    const { rows } = await on.query<Checkout & { amount: string }>(
      `SELECT id, status, amount::text, currency, card, sku, quantity, done, undone, tries, failure
         FROM saga_checkouts WHERE id = $1`,
      [id],
    )
    const r = rows[0]
    return r && { ...r, amount: Number(r.amount) }
  }

  /** The saga's log, oldest first. */
  async history(id: string): Promise<{ step: string; action: string; detail: unknown; at: string }[]> {
    const { rows } = await this.o.db.query<{ step: string; action: string; detail: unknown; at: string }>(
      `SELECT step, action, detail, to_json(at)#>>'{}' AS at FROM saga_log WHERE saga_id = $1 ORDER BY seq`,
      [id],
    )
    return rows
  }

  private async log(
    q: Queryable,
    id: string,
    step: string,
    action: string,
    detail?: unknown,
  ): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO saga_log (saga_id, step, action, detail) VALUES ($1, $2, $3, $4)
       ON CONFLICT (saga_id, step, action) WHERE action IN ('succeeded', 'failed', 'compensated', 'callback')
       DO NOTHING`,
      [id, step, action, detail === undefined ? null : JSON.stringify(detail)],
    )
    return r.rowCount === 1
  }

  /**
   * Run the saga from where its state says until it ends. A transient failure throws (the job
   * is retried after its backoff and resumes here); so does a crash, through the job's lease.
   */
  async advance(id: string): Promise<Checkout['status']> {
    for (;;) {
      const s = await this.get(id)
      if (!s) return 'compensated'
      if (s.status === 'completed' || s.status === 'compensated') return s.status
      if (s.status === 'running') {
        const step = STEPS.find((x) => !s.done.includes(x))
        if (!step) {
          await this.finish(s, 'completed')
          continue
        }
        await this.log(this.o.db, id, step, 'started')
        let r: StepResult
        try {
          r = await this.forward(s, step)
        } catch (err) {
          if (!isTransient(err)) throw err
          await this.o.db.tx(async (tx) => {
            await tx.query(
              `UPDATE saga_checkouts SET tries = jsonb_set(tries, ARRAY[$2], to_jsonb(coalesce((tries->>$2)::int, 0) + 1)),
                      updated_at = now() WHERE id = $1`,
              [id, step],
            )
            await this.log(tx, id, step, 'retry', { error: (err as Error).message })
          })
          throw err
        }
        this.o.failpoint(step)
        await this.o.db.tx(async (tx) => {
          if (r.ok) {
            await tx.query(
              `UPDATE saga_checkouts SET done = array_append(done, $2), updated_at = now()
                WHERE id = $1 AND status = 'running' AND NOT ($2 = ANY (done))`,
              [id, step],
            )
            await this.log(tx, id, step, 'succeeded')
          } else {
            await tx.query(
              `UPDATE saga_checkouts SET status = 'compensating', failure = $2, updated_at = now()
                WHERE id = $1 AND status = 'running'`,
              [id, `${step}: ${r.reason}`],
            )
            await this.log(tx, id, step, 'failed', { reason: r.reason })
          }
        })
        continue
      }
      const next = compensationsFor(s.done).find((x) => !s.undone.includes(x))
      if (!next) {
        await this.finish(s, 'compensated')
        continue
      }
      await this.log(this.o.db, id, next, 'started')
      await this.compensate(s, next) // throws until it succeeds: retried by the job
      this.o.failpoint(next)
      await this.o.db.tx(async (tx) => {
        await tx.query(
          `UPDATE saga_checkouts SET undone = array_append(undone, $2), updated_at = now()
            WHERE id = $1 AND status = 'compensating' AND NOT ($2 = ANY (undone))`,
          [id, next],
        )
        await this.log(tx, id, next, 'compensated')
      })
    }
  }

  private async finish(s: Checkout, status: 'completed' | 'compensated'): Promise<void> {
    await this.o.db.tx(async (tx) => {
      await tx.query(
        `UPDATE saga_checkouts SET status = $2, updated_at = now() WHERE id = $1 AND status = $3`,
        [s.id, status, s.status],
      )
      await this.log(tx, s.id, 'saga', status === 'completed' ? 'succeeded' : 'compensated')
    })
  }

  private async forward(s: Checkout, step: Step): Promise<StepResult> {
    const key = CheckoutSagas.paymentKey(s.id)
    const gaveUp = (s.tries[step] ?? 0) >= this.o.maxTries
    switch (step) {
      case 'reserve':
        return this.o.warehouse.reserve(s.id, s.sku, s.quantity)
      case 'authorize':
        return this.acquire(key, gaveUp, ['authorized', 'captured'], async () =>
          this.o.acquirer.authorize(key, s.card, s.amount, s.currency),
        )
      case 'capture': {
        const r = await this.acquire(key, gaveUp, ['captured'], () => this.o.acquirer.capture(key, s.amount))
        if (!r.ok) return r
        await this.money(s, 'capture')
        // The acquirer confirms settlement by callback, sometimes twice (recorded once).
        for (let i = this.o.acquirer.callbacksFor(s.card); i > 0; i--)
          await this.o.jobs.addJob(this.o.db, SAGA_QUEUE, { task: CALLBACK_TASK, payload: { id: s.id, key } })
        return r
      }
      case 'fulfil':
        return this.o.warehouse.ship(s.id, s.sku)
    }
  }

  /**
   * One acquirer call, with the lost answer resolved: on a timeout or an error, ask the acquirer
   * what it did with `key`; in one of `done` states, the call had succeeded. Otherwise retry
   * (throw) or, after maxTries, void the key (so a late arrival is refused) and fail the step.
   */
  private async acquire(
    key: string,
    gaveUp: boolean,
    done: string[],
    call: () => Promise<Answer>,
  ): Promise<StepResult> {
    if (gaveUp) {
      const seen = await this.o.acquirer.lookup(key)
      if (seen && done.includes(seen.state)) return { ok: true }
      const v = await this.o.acquirer.void(key)
      return { ok: false, reason: v.ok ? 'acquirer_unavailable' : v.reason }
    }
    try {
      const a = await call()
      return a.ok ? { ok: true } : { ok: false, reason: a.reason }
    } catch (err) {
      if (!isTransient(err)) throw err
      const seen = await this.o.acquirer.lookup(key)
      if (seen && done.includes(seen.state)) return { ok: true }
      throw err
    }
  }

  private async compensate(s: Checkout, c: Compensation): Promise<void> {
    const key = CheckoutSagas.paymentKey(s.id)
    const settled = async (call: () => Promise<Answer>, states: string[]) => {
      try {
        const a = await call()
        if (a.ok) return
        const seen = await this.o.acquirer.lookup(key)
        if (seen && states.includes(seen.state)) return
        throw Object.assign(new Error(`${c} refused: ${a.reason}`), { transient: true })
      } catch (err) {
        if (!isTransient(err)) throw err
        const seen = await this.o.acquirer.lookup(key)
        if (seen && states.includes(seen.state)) return
        throw err
      }
    }
    if (c === 'release') {
      const r = await this.o.warehouse.release(s.id)
      if (!r.ok) throw Object.assign(new Error(`release refused: ${r.reason}`), { transient: true })
    } else if (c === 'void') {
      await settled(() => this.o.acquirer.void(key), ['voided', 'blocked'])
    } else {
      await settled(() => this.o.acquirer.refund(key), ['refunded'])
      await this.money(s, 'refund')
    }
  }

  /** The money in the ledger: captured network -> merchant, refunded back (ids from the checkout). */
  private async money(s: Checkout, what: 'capture' | 'refund'): Promise<void> {
    const network = `saga:network:${s.currency}`
    const merchant = `saga:merchant:${s.currency}`
    await this.o.db.query(
      `INSERT INTO ledger_accounts (id, currency, flags) VALUES ($1, $3, 1), ($2, $3, 0) ON CONFLICT (id) DO NOTHING`,
      [merchant, network, s.currency],
    )
    const [debit, credit] = what === 'capture' ? [network, merchant] : [merchant, network]
    const [r] = await this.o.ledger([
      {
        id: `${s.id}:${what}`,
        kind: 'single',
        debitAccountId: debit,
        creditAccountId: credit,
        amount: BigInt(s.amount),
        currency: s.currency,
      },
    ])
    if (r !== 'ok' && r !== 'exists') throw new Error(`ledger refused the ${what} of ${s.id}: ${r}`)
  }

  /** A settlement callback from the acquirer: recorded once however often it comes. */
  async callback(id: string, key: string): Promise<{ duplicate: boolean }> {
    const first = await this.log(this.o.db, id, 'capture', 'callback', { key })
    if (!first) await this.log(this.o.db, id, 'capture', 'callback_duplicate', { key })
    return { duplicate: !first }
  }
}
