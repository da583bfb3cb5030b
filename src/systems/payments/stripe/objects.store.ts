/**
 * The API's objects in one table (sql/0004): Stripe's JSON per object, listed newest first
 * with Stripe's cursors (starting_after / ending_before name an object of the list).
 */
import { randomBytes } from 'node:crypto'
import type { Queryable } from '../../../platform/db/port.js'
import { StripeErrors } from './errors.js'

// biome-ignore lint/suspicious/noExplicitAny: Stripe objects are JSON whose shape each resource knows
export type StripeObject = Record<string, any>

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A new id in Stripe's style: `prefix_` and 24 random letters and digits. */
export function newId(prefix: string): string {
  const bytes = randomBytes(24)
  let s = ''
  for (const b of bytes) s += ALPHABET[b % 62]
  return `${prefix}_${s}`
}

/** Seconds since the epoch, as Stripe's `created`. */
export const nowSeconds = () => Math.floor(Date.now() / 1000)

export interface ListOptions {
  limit: number
  startingAfter?: string
  endingBefore?: string
  /** Equality on top-level fields of the JSON (customer, payment_intent, type). */
  where?: Record<string, string>
}

/**
 * Types whose every write is also an event: a `payment_intent_change` carrying the state it made,
 * appended in the same statement's transaction, so the stored object is always the fold of its
 * changes and can be rebuilt from them (projection.ts).
 */
const SOURCED = new Set(['payment_intent'])

export class ObjectStore {
  async insert(on: Queryable, account: string, obj: StripeObject): Promise<void> {
    await on.query('INSERT INTO stripe_objects (id, account_id, type, data) VALUES ($1, $2, $3, $4)', [
      obj.id,
      account,
      obj.object,
      JSON.stringify(obj),
    ])
    if (SOURCED.has(obj.object)) await this.appendChange(on, account, obj, 'created')
  }

  async update(on: Queryable, account: string, obj: StripeObject): Promise<void> {
    await on.query('UPDATE stripe_objects SET data = $3 WHERE id = $1 AND account_id = $2', [
      obj.id,
      account,
      JSON.stringify(obj),
    ])
    if (SOURCED.has(obj.object)) await this.appendChange(on, account, obj, 'updated')
  }

  private async appendChange(on: Queryable, account: string, obj: StripeObject, change: string) {
    const id = newId('pich')
    await on.query('INSERT INTO stripe_objects (id, account_id, type, data) VALUES ($1, $2, $3, $4)', [
      id,
      account,
      `${obj.object}_change`,
      JSON.stringify({ id, object: `${obj.object}_change`, [obj.object]: obj.id, change, state: obj }),
    ])
  }

  async markDeleted(on: Queryable, account: string, id: string): Promise<void> {
    await on.query('UPDATE stripe_objects SET deleted = true WHERE id = $1 AND account_id = $2', [
      id,
      account,
    ])
  }

  /** The object `id` of `type` (undefined when absent, of another type or account, or deleted). */
  async get(
    on: Queryable,
    account: string,
    type: string,
    id: string,
    opts: { forUpdate?: boolean; withDeleted?: boolean } = {},
  ): Promise<StripeObject | undefined> {
    const { rows } = await on.query<{ data: StripeObject; deleted: boolean }>(
      `SELECT data, deleted FROM stripe_objects WHERE id = $1 AND account_id = $2 AND type = $3
       ${opts.forUpdate ? 'FOR UPDATE' : ''}`,
      [id, account, type],
    )
    const r = rows[0]
    if (!r || (r.deleted && !opts.withDeleted)) return undefined
    return r.deleted ? { id, object: type, deleted: true } : r.data
  }

  /** Like get, or Stripe's 404 resource_missing naming `what` and `param`. */
  async require(
    on: Queryable,
    account: string,
    type: string,
    id: string,
    what: string,
    param = 'id',
    forUpdate = false,
  ): Promise<StripeObject> {
    const o = await this.get(on, account, type, id, { forUpdate })
    if (!o) throw StripeErrors.resourceMissing(what, id, param)
    return o
  }

  /** One page, newest first, and whether more lie beyond it in the direction of travel. */
  async list(
    on: Queryable,
    account: string,
    type: string,
    o: ListOptions,
  ): Promise<{ data: StripeObject[]; hasMore: boolean }> {
    const params: unknown[] = [account, type, o.limit + 1]
    const conds = ['account_id = $1', 'type = $2', 'NOT deleted']
    for (const [k, v] of Object.entries(o.where ?? {})) {
      params.push(k, v)
      conds.push(`data->>$${params.length - 1} = $${params.length}`)
    }
    const cursor = o.startingAfter ?? o.endingBefore
    if (cursor !== undefined) {
      const { rows } = await on.query<{ seq: string }>(
        'SELECT seq::text AS seq FROM stripe_objects WHERE id = $1 AND account_id = $2 AND type = $3',
        [cursor, account, type],
      )
      if (!rows[0])
        throw StripeErrors.resourceMissing(
          'object',
          cursor,
          o.startingAfter ? 'starting_after' : 'ending_before',
        )
      params.push(rows[0].seq)
      conds.push(`seq ${o.startingAfter ? '<' : '>'} $${params.length}::bigint`)
    }
    // ending_before walks towards newer objects: read ascending, then show newest first.
    const asc = o.startingAfter === undefined && o.endingBefore !== undefined
    const { rows } = await on.query<{ data: StripeObject }>(
      `SELECT data FROM stripe_objects WHERE ${conds.join(' AND ')}
        ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT $3`,
      params,
    )
    const hasMore = rows.length > o.limit
    const page = rows.slice(0, o.limit).map((r) => r.data)
    return { data: asc ? page.reverse() : page, hasMore }
  }
}
