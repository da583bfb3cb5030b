/**
 * A simulated card acquirer with faults, the outside party the checkout saga talks to. Its books
 * (sql/0010 `sim_acquirer_payments`) are keyed by the caller's idempotency key, as real
 * acquirers' are: a second authorize with a key returns the first's result and charges nothing
 * more, and `lookup` tells what happened to a key whose answer was lost. Faults come from the
 * card number (below, for deterministic tests) and from a fault config (random rates, for
 * soaks): latency, errors, timeouts before the effect, and the hard one, a timeout *after* the
 * effect (the card was charged, the caller never heard). A void of a key never authorized blocks
 * it, so an authorize that arrives late cannot charge after the caller gave up.
 */
import type { Db } from '../../../platform/db/port.js'

export interface AcquirerFaults {
  /** Added to every call (ms). */
  latencyMs: number
  /** Chance of an error answer before anything happened. */
  errorRate: number
  /** Chance of a timeout before anything happened. */
  timeoutRate: number
  /** Chance of a timeout after the effect was applied (the lost answer). */
  chargedTimeoutRate: number
  /** Chance that a settlement callback is sent twice. */
  duplicateCallbackRate: number
}

export const NO_FAULTS: AcquirerFaults = {
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  chargedTimeoutRate: 0,
  duplicateCallbackRate: 0,
}

/** The simulator's test cards and what they do (documented in saga/README.md). */
export const SAGA_CARDS = {
  ok: '4242424242424242',
  declined: '4000000000000002',
  /** Error answers to the first two authorize calls, then success. */
  flaky: '4000000000000119',
  /** The first authorize charges and then times out (the lost answer). */
  chargedTimeout: '4000000000000259',
  /** Authorizes; every capture is refused. */
  captureFails: '4000000000000341',
  /** Authorizes after 1.5 s. */
  slow: '4000000000006975',
  /** Every settlement callback is sent twice. */
  duplicateCallbacks: '4000000000003055',
} as const

export class AcquirerTimeout extends Error {
  readonly transient = true
  constructor(op: string) {
    super(`acquirer ${op}: timed out`)
  }
}
export class AcquirerUnavailable extends Error {
  readonly transient = true
  constructor(op: string) {
    super(`acquirer ${op}: processing error`)
  }
}

export interface AcquirerPayment {
  key: string
  state: 'authorized' | 'captured' | 'voided' | 'refunded' | 'blocked'
  amount: number
  captured: number
  refunded: number
}

export type Answer = { ok: true; payment: AcquirerPayment } | { ok: false; reason: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class Acquirer {
  constructor(
    private readonly db: Db,
    private readonly faults: AcquirerFaults = NO_FAULTS,
    private readonly random: () => number = Math.random,
  ) {}

  private async log(key: string, op: string, outcome: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH ins AS (INSERT INTO sim_acquirer_calls (key, op, outcome) VALUES ($1, $2, $3))
       SELECT count(*)::int + 1 AS n FROM sim_acquirer_calls WHERE key = $1 AND op = $2`,
      [key, op, outcome],
    )
    return rows[0]?.n ?? 1
  }

  /** Faults before the effect: latency, an error, a timeout. Returns the call's number for this key. */
  private async before(key: string, op: string, card: string | null): Promise<number> {
    const n = await this.log(key, op, 'received')
    let latency = this.faults.latencyMs
    if (card === SAGA_CARDS.slow && op === 'authorize') latency += 1_500
    if (latency > 0) await sleep(latency)
    if (card === SAGA_CARDS.flaky && op === 'authorize' && n <= 2) throw new AcquirerUnavailable(op)
    if (this.random() < this.faults.errorRate) throw new AcquirerUnavailable(op)
    if (this.random() < this.faults.timeoutRate) throw new AcquirerTimeout(op)
    return n
  }

  /** Faults after the effect: the answer lost on the way back. */
  private after(op: string, card: string | null, n: number): void {
    if (card === SAGA_CARDS.chargedTimeout && op === 'authorize' && n === 1) throw new AcquirerTimeout(op)
    if (this.random() < this.faults.chargedTimeoutRate) throw new AcquirerTimeout(op)
  }

  private async get(key: string): Promise<AcquirerPayment | undefined> {
    const { rows } = await this.db.query<{
      key: string
      state: AcquirerPayment['state']
      amount: string
      captured: string
      refunded: string
      card: string | null
    }>(
      'SELECT key, state, amount::text, captured::text, refunded::text, card FROM sim_acquirer_payments WHERE key = $1',
      [key],
    )
    const r = rows[0]
    return (
      r && {
        key: r.key,
        state: r.state,
        amount: Number(r.amount),
        captured: Number(r.captured),
        refunded: Number(r.refunded),
      }
    )
  }

  private async cardOf(key: string): Promise<string | null> {
    const { rows } = await this.db.query<{ card: string | null }>(
      'SELECT card FROM sim_acquirer_payments WHERE key = $1',
      [key],
    )
    return rows[0]?.card ?? null
  }

  /** The acquirer's record of `key`, read without calling it (the console's view of its books). */
  peek(key: string): Promise<AcquirerPayment | undefined> {
    return this.get(key)
  }

  /** How many payments the acquirer holds under keys starting with `prefix` (one checkout's, whatever key). */
  async paymentsUnder(prefix: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sim_acquirer_payments WHERE left(key, length($1)) = $1 AND state <> 'blocked'`,
      [prefix],
    )
    return rows[0]?.n ?? 0
  }

  /** The calls the acquirer received for `key`, by operation (what the tests and the console show). */
  async calls(key: string): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ op: string; n: number }>(
      'SELECT op, count(*)::int AS n FROM sim_acquirer_calls WHERE key = $1 GROUP BY op',
      [key],
    )
    return Object.fromEntries(rows.map((r) => [r.op, r.n]))
  }

  /** What the acquirer knows of `key` (no faults: the query real systems make before retrying). */
  async lookup(key: string): Promise<AcquirerPayment | undefined> {
    await this.log(key, 'lookup', 'received')
    return this.get(key)
  }

  /** Hold `amount` on `card` under `key`; the same key again answers the first result. */
  async authorize(key: string, card: string, amount: number, currency: string): Promise<Answer> {
    const n = await this.before(key, 'authorize', card)
    if (card === SAGA_CARDS.declined) return { ok: false, reason: 'card_declined' }
    await this.db.query(
      `INSERT INTO sim_acquirer_payments (key, card, amount, currency, state) VALUES ($1, $2, $3, $4, 'authorized')
       ON CONFLICT (key) DO NOTHING`,
      [key, card, amount, currency],
    )
    const p = (await this.get(key))!
    if (p.state === 'blocked') return { ok: false, reason: 'voided_before_authorization' }
    this.after('authorize', card, n)
    return { ok: true, payment: p }
  }

  /** Capture `amount` of an authorization (once: a captured one answers as it is). */
  async capture(key: string, amount: number): Promise<Answer> {
    const card = await this.cardOf(key)
    const n = await this.before(key, 'capture', card)
    if (card === SAGA_CARDS.captureFails) return { ok: false, reason: 'capture_refused' }
    await this.db.query(
      `UPDATE sim_acquirer_payments SET state = 'captured', captured = $2
        WHERE key = $1 AND state = 'authorized' AND $2 <= amount`,
      [key, amount],
    )
    const p = await this.get(key)
    if (p?.state !== 'captured') return { ok: false, reason: `cannot capture: ${p?.state ?? 'unknown key'}` }
    this.after('capture', card, n)
    return { ok: true, payment: p }
  }

  /** Release an authorization; a key never seen is blocked (a late authorize is refused). */
  async void(key: string): Promise<Answer> {
    const card = await this.cardOf(key)
    const n = await this.before(key, 'void', card)
    await this.db.query(
      `INSERT INTO sim_acquirer_payments (key, amount, currency, state) VALUES ($1, 0, '', 'blocked')
       ON CONFLICT (key) DO UPDATE SET state = 'voided' WHERE sim_acquirer_payments.state = 'authorized'`,
      [key],
    )
    const p = (await this.get(key))!
    if (p.state !== 'voided' && p.state !== 'blocked') return { ok: false, reason: `cannot void: ${p.state}` }
    this.after('void', card, n)
    return { ok: true, payment: p }
  }

  /** Give back everything captured under `key` (once). */
  async refund(key: string): Promise<Answer> {
    const card = await this.cardOf(key)
    const n = await this.before(key, 'refund', card)
    await this.db.query(
      `UPDATE sim_acquirer_payments SET state = 'refunded', refunded = captured WHERE key = $1 AND state = 'captured'`,
      [key],
    )
    const p = await this.get(key)
    if (p?.state !== 'refunded') return { ok: false, reason: `cannot refund: ${p?.state ?? 'unknown key'}` }
    this.after('refund', card, n)
    return { ok: true, payment: p }
  }

  /** How many settlement callbacks a capture of `card` sends (duplicates are the receiver's problem). */
  callbacksFor(card: string): number {
    return card === SAGA_CARDS.duplicateCallbacks || this.random() < this.faults.duplicateCallbackRate ? 2 : 1
  }
}
