/**
 * The two sides of the ledger benchmark, in this process, on PostgreSQL (DATABASE_URL or
 * 127.0.0.1:5432/test), each in a schema of its own, dropped when it closes:
 *
 * - `ledger`: the payments ledger as the system runs it: `TransferBatcher` (group commit, at the
 *   system's defaults: batches of up to 2,000, 4 in flight) over `PgLedgerStore`, one call of
 *   `ledger_create_transfers` per batch (locks, limit checks, balance updates, transfer rows).
 * - `floor`: the same batcher, whose batch is one INSERT of the same rows (same JSON parameter)
 *   into a copy of `ledger_transfers` (same columns, primary key and indexes), nothing else: what
 *   writing the transfers costs before any accounting.
 *
 * Accounts: ACCOUNTS customer accounts that cannot go negative (debits_must_not_exceed_credits),
 * each funded with far more than the run moves, so no transfer is refused and both sides write
 * the same number of rows.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { testServiceUrls } from '../../../platform/config.js'
import { migrate } from '../../../platform/db/migrate.js'
import { openPg } from '../../../platform/db/pg.js'
import type { Db } from '../../../platform/db/port.js'
import { TransferBatcher } from '../ledger/batcher.js'
import { retryConflicts } from '../ledger/expiry.js'
import type { TransferRequest, TransferResult } from '../ledger/ports.js'
import { PgLedgerStore, transferElement } from '../ledger/store.pg.js'

export type LedgerSideKind = 'ledger' | 'floor'

export interface LedgerSide {
  readonly kind: LedgerSideKind
  readonly schema: string
  /** One request's transfers through the side's batcher. */
  submit(transfers: readonly TransferRequest[]): Promise<TransferResult[]>
  /** Transfers per batch, observed (how much group commit happened). */
  readonly batchSizes: number[]
  close(): Promise<void>
}

export const ACCOUNTS = 10_000
/** Funding per account: no run moves this much out of one account. */
const FUNDING = 1_000_000_000n

const url = () => testServiceUrls().databaseUrl

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Drop every schema whose name starts with `prefix` (a server's DB_SCHEMA_PREFIX: one per part). */
export async function dropSchemasWithPrefix(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: url() })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)`,
      [prefix],
    )
    for (const r of rows) await client.query(`DROP SCHEMA IF EXISTS "${r.name}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Create the accounts and fund each from `bank` (no limit), in batches through the store. */
async function seedAccounts(db: Db, store: PgLedgerStore): Promise<void> {
  await db.query(
    `INSERT INTO ledger_accounts (id, currency, flags)
     SELECT 'bank', 'usd', 0 UNION ALL
     SELECT 'c' || g, 'usd', 1 FROM generate_series(0, $1::int - 1) g`,
    [ACCOUNTS],
  )
  for (let from = 0; from < ACCOUNTS; from += 1000) {
    const batch: TransferRequest[] = []
    for (let i = from; i < Math.min(ACCOUNTS, from + 1000); i++)
      batch.push({
        id: `fund-${i}`,
        kind: 'single',
        debitAccountId: 'bank',
        creditAccountId: `c${i}`,
        amount: FUNDING,
        currency: 'usd',
      })
    const results = await store.createTransfers(batch)
    if (results.some((r) => r !== 'ok'))
      throw new Error(`funding refused: ${results.find((r) => r !== 'ok')}`)
  }
}

/** The floor's apply: the batch's rows in one INSERT (one statement, one transaction). */
async function insertRows(db: Db, batch: readonly TransferRequest[]): Promise<TransferResult[]> {
  await db.query(
    `INSERT INTO bench_floor (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id,
                              linked, timeout_seconds, state, result, body_hash)
     SELECT e->>'id', e->>'kind', e->>'debit', e->>'credit', coalesce((e->>'amount')::bigint, 0), e->>'currency',
            e->>'pending_id', (e->>'linked')::boolean, (e->>'timeout')::int, 'done', 'ok', md5(e::text)
       FROM jsonb_array_elements($1::jsonb) e`,
    [JSON.stringify(batch.map(transferElement))],
  )
  return batch.map(() => 'ok')
}

/** A side, fresh in schema `schema`: migrated, seeded, with its batcher at the system's defaults. */
export async function createLedgerSide(kind: LedgerSideKind, schema: string): Promise<LedgerSide> {
  await dropSchema(schema)
  const db = await openPg(url(), schema, { max: 6 })
  await migrate(db, [{ source: 'system', dir: new URL('../sql/', import.meta.url) }])
  const store = new PgLedgerStore(db)
  await seedAccounts(db, store)
  if (kind === 'floor') await db.query('CREATE TABLE bench_floor (LIKE ledger_transfers INCLUDING ALL)')
  const batchSizes: number[] = []
  const batcher = new TransferBatcher({
    apply:
      kind === 'ledger'
        ? (batch) => retryConflicts(() => store.createTransfers(batch))
        : (batch) => insertRows(db, batch),
    maxBatch: 2000,
    maxInFlight: 4, // the system's default (PAYMENTS_LEDGER_MAX_IN_FLIGHT)
    onBatch: (n) => batchSizes.push(n),
  })
  return {
    kind,
    schema,
    batchSizes,
    submit: (t) => batcher.submit(t),
    async close() {
      await batcher.drain()
      await db.close()
      await dropSchema(schema)
    },
  }
}

/** A run-unique prefix for transfer ids, so that sides and rounds never reuse one. */
export const RUN_ID = randomBytes(3).toString('hex')
