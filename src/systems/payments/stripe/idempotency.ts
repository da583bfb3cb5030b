/**
 * Idempotency-Key with Stripe's semantics. The first response to a key (its status and body,
 * errors included once the request began executing) is stored in the same transaction as the
 * request's effects and replayed for 24 hours; the same key with other parameters is a 400
 * idempotency_error; a request while another with the same key runs gets a 409
 * idempotency_key_in_use. A refusal before execution (bad parameters) stores nothing, as
 * Stripe's does, so the request can be corrected and sent again with the same key.
 *
 * How: a row per key. Its insert commits first (so a concurrent request finds it); the request
 * then runs in one transaction that starts by locking the row (FOR UPDATE NOWAIT: taken by a
 * running request -> 409) and ends by writing the response into it. Effects and stored response
 * commit together or not at all: a process killed mid-request leaves an unlocked row without a
 * response, and the retry runs the request afresh. Keys are scoped per account.
 */
import { createHash } from 'node:crypto'
import type { Db, Queryable } from '../../../platform/db/port.js'
import { retryConflicts } from '../ledger/expiry.js'
import { StripeErrors } from './errors.js'

export interface Outcome {
  status: number
  body: unknown
}

/** An outcome as sent: with a key, `body` is the stored JSON text (replays are byte-identical). */
export interface Executed extends Outcome {
  /** Replayed from a stored response (the `Idempotent-Replayed: true` header). */
  replayed: boolean
}

/** How long a key's response is kept and replayed. */
export const KEY_TTL_HOURS = 24

/** A request's identity for the same-parameters check: method, path and the parsed params. */
export function requestHash(method: string, path: string, params: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(canonical)
        : v
  return createHash('sha256')
    .update(JSON.stringify([method, path, canonical(params)]))
    .digest('hex')
}

const isLockUnavailable = (err: unknown) => (err as { code?: string })?.code === '55P03'

export class Idempotency {
  constructor(private readonly db: Db) {}

  /**
   * Run `fn` in a transaction; with a key, at most once per key and account, its outcome
   * replayed to every later request with that key. `fn` throws for a refusal that stores
   * nothing, and returns an outcome (2xx, or a 4xx after it changed state) to commit.
   */
  async run(
    account: string,
    key: string | undefined,
    hash: string,
    fn: (tx: Queryable) => Promise<Outcome>,
  ): Promise<Executed> {
    if (key === undefined) return { ...(await retryConflicts(() => this.db.tx(fn))), replayed: false }
    // An expired key is a new key; then claim it (a no-op when it exists).
    await this.db.query(
      `DELETE FROM stripe_idempotency WHERE account_id = $1 AND key = $2
          AND created_at < now() - make_interval(hours => $3)`,
      [account, key, KEY_TTL_HOURS],
    )
    await this.db.query(
      `INSERT INTO stripe_idempotency (account_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, key) DO NOTHING`,
      [account, key, hash],
    )
    try {
      return await retryConflicts(() =>
        this.db.tx(async (tx) => {
          const { rows } = await tx.query<{
            request_hash: string
            status: number | null
            response: string | null
          }>(
            `SELECT request_hash, status, response FROM stripe_idempotency
              WHERE account_id = $1 AND key = $2 FOR UPDATE NOWAIT`,
            [account, key],
          )
          let row = rows[0]
          if (!row) {
            // Released by a request that failed before executing: claim it in this transaction.
            await tx.query(
              'INSERT INTO stripe_idempotency (account_id, key, request_hash) VALUES ($1, $2, $3)',
              [account, key, hash],
            )
            row = { request_hash: hash, status: null, response: null }
          }
          if (row.request_hash !== hash) throw StripeErrors.idempotencyMismatch(key)
          // Replayed byte for byte: stored as the text that was sent.
          if (row.status !== null) return { status: row.status, body: row.response, replayed: true }
          const out = await fn(tx)
          const text = JSON.stringify(out.body)
          await tx.query(
            'UPDATE stripe_idempotency SET status = $3, response = $4 WHERE account_id = $1 AND key = $2',
            [account, key, out.status, text],
          )
          return { status: out.status, body: text, replayed: false }
        }),
      )
    } catch (err) {
      if (isLockUnavailable(err)) throw StripeErrors.idempotencyInUse(key)
      // Nothing executed (or it rolled back): free the key unless it holds a response or
      // belongs to other parameters. A request still running holds the row; this waits for
      // it, then finds the response and leaves the row alone.
      await this.db
        .query(
          `DELETE FROM stripe_idempotency WHERE account_id = $1 AND key = $2
              AND status IS NULL AND request_hash = $3`,
          [account, key, hash],
        )
        .catch(() => {})
      throw err
    }
  }

  /** Forget keys older than 24 hours (the sweep job); returns how many. */
  async sweep(): Promise<number> {
    const { rowCount } = await this.db.query(
      'DELETE FROM stripe_idempotency WHERE created_at < now() - make_interval(hours => $1)',
      [KEY_TTL_HOURS],
    )
    return rowCount
  }
}
