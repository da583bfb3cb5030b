/**
 * Property tests of the ledger's invariants: random batches of transfers (single, pending, post,
 * void, linked chains, reused ids) run through the SQL ledger and through an in-memory model of
 * the rules. Every result and every balance must agree; money is conserved (total debits equal
 * total credits); no limit is crossed; every balance is the sum of its transfers; a batch
 * replayed (same ids, same bodies) changes nothing and gets the same answers.
 *
 * Two shapes of batch: any (linked chains, ids reused within and across batches), which the SQL
 * applies transfer by transfer; and the common one (no chain, every id new), which it applies in
 * memory (sql/0006): both must agree with the same model.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { ledgerStore, paymentsApp, type TestClient } from '../testing.js'
import { LedgerModel } from './ledger.model.js'
import type { AccountFlags, TransferRequest } from './ports.js'
import type { PgLedgerStore } from './store.pg.js'

const ACCOUNTS: [string, string, AccountFlags][] = [
  ['src', 'usd', 'none'],
  ['a', 'usd', 'debits_must_not_exceed_credits'],
  ['b', 'usd', 'debits_must_not_exceed_credits'],
  ['cap', 'usd', 'credits_must_not_exceed_debits'],
  ['eur', 'eur', 'none'],
]

const accountId = fc.constantFrom('src', 'src', 'a', 'a', 'b', 'cap', 'eur', 'ghost')
const transferId = fc.integer({ min: 0, max: 11 }).map((n) => `t${n}`)
// Small round amounts, so that balances land exactly on their limits often.
const amount = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(5n, 10n, 20n) },
  fc.bigInt({ min: 1n, max: 60n }),
)

const op: fc.Arbitrary<TransferRequest> = fc
  .oneof(
    fc.record({
      id: transferId,
      kind: fc.constantFrom('single' as const, 'pending' as const),
      debitAccountId: accountId,
      creditAccountId: accountId,
      amount,
      currency: fc.constantFrom('usd', 'usd', 'usd', 'eur'),
      linked: fc.boolean(),
    }),
    fc.record({
      id: transferId,
      kind: fc.constantFrom('post' as const, 'void' as const),
      pendingId: transferId,
      amount: fc.option(amount, { nil: undefined }),
      linked: fc.boolean(),
    }),
  )
  .map((t) => {
    const out = { ...t } as TransferRequest
    if (out.amount === undefined) delete out.amount
    if (!out.linked) delete out.linked
    return out
  })

/**
 * The common batch: no linked chain, ids unique in the run (`b<batch>-t<n>`); a post or void names
 * a transfer of 1 to 3 batches back (`@k`; clamped to the first batch, so sometimes its own).
 */
const commonBatch = fc
  .uniqueArray(
    fc.oneof(
      fc.record({
        id: transferId,
        kind: fc.constantFrom('single' as const, 'pending' as const),
        debitAccountId: accountId,
        creditAccountId: accountId,
        amount,
        currency: fc.constantFrom('usd', 'usd', 'usd', 'eur'),
      }),
      fc.record({
        id: transferId,
        kind: fc.constantFrom('post' as const, 'void' as const),
        pendingId: fc.tuple(transferId, fc.integer({ min: 1, max: 3 })).map(([t, k]) => `${t}@${k}`),
        amount: fc.option(amount, { nil: undefined }),
      }),
    ),
    { selector: (t) => t.id, minLength: 1, maxLength: 16 },
  )
  .map((batch) =>
    batch.map((t) => {
      const out = { ...t } as TransferRequest
      if (out.amount === undefined) delete out.amount
      return out
    }),
  )

const shapes = [
  ['any batch', fc.array(op, { minLength: 1, maxLength: 16 })],
  ['common batch (applied in memory)', commonBatch],
] as const

describe.each(backends())('ledger properties (%s)', (backend) => {
  let c: TestClient
  let store: PgLedgerStore
  let run = 0
  beforeAll(async () => {
    c = await paymentsApp(backend)
    store = ledgerStore(c)
  })
  afterAll(() => c.close())

  it.each(shapes)(
    '%s: the SQL ledger agrees with the model, conserves money and never crosses a limit',
    async (_, shape) => {
      await fc.assert(
        fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 5 }), async (generated) => {
          // Ids of the common shape are made unique per batch; `@k` points k batches back.
          const batches = generated.map((batch, bi) =>
            batch.map((t) => {
              if (shape !== commonBatch) return t
              const out = { ...t, id: `b${bi}-${t.id}` }
              if (t.pendingId) {
                const [n, k] = t.pendingId.split('@')
                out.pendingId = `b${Math.max(0, bi - Number(k))}-${n}`
              }
              return out
            }),
          )
          // Each run gets its own accounts and ids.
          const p = `r${run++}-`
          const model = new LedgerModel()
          for (const [id, currency, flags] of ACCOUNTS) {
            model.addAccount(p + id, currency, flags)
            await store.createAccount({ id: p + id, currency, flags })
          }
          const prefixed = (t: TransferRequest): TransferRequest => ({
            ...t,
            id: p + t.id,
            ...(t.debitAccountId && { debitAccountId: p + t.debitAccountId }),
            ...(t.creditAccountId && { creditAccountId: p + t.creditAccountId }),
            ...(t.pendingId && { pendingId: p + t.pendingId }),
          })
          const answers: string[][] = []
          for (const raw of batches) {
            const batch = raw.map(prefixed)
            const got = await store.createTransfers(batch)
            expect(got).toEqual(model.apply(batch))
            answers.push(got)
          }
          let debits = 0n
          let credits = 0n
          for (const [id] of ACCOUNTS) {
            const got = (await store.getAccount(p + id))!
            const want = model.accounts.get(p + id)!
            expect(got).toMatchObject({
              debitsPending: want.debitsPending,
              debitsPosted: want.debitsPosted,
              creditsPending: want.creditsPending,
              creditsPosted: want.creditsPosted,
            })
            if (got.flags === 'debits_must_not_exceed_credits')
              expect(got.debitsPending + got.debitsPosted).toBeLessThanOrEqual(got.creditsPosted)
            if (got.flags === 'credits_must_not_exceed_debits')
              expect(got.creditsPending + got.creditsPosted).toBeLessThanOrEqual(got.debitsPosted)
            debits += got.debitsPosted + got.debitsPending
            credits += got.creditsPosted + got.creditsPending
          }
          expect(debits).toBe(credits)
          // Idempotency: replaying every batch changes no balance and answers without an error
          // that was not there the first time.
          const before = await Promise.all(ACCOUNTS.map(([id]) => store.getAccount(p + id)))
          for (const [i, raw] of batches.entries()) {
            const results = await store.createTransfers(raw.map(prefixed))
            expect(results).not.toContain('ok')
            // A refusal is remembered under its id (both paths store the same row for it).
            if (shape === commonBatch)
              expect(results).toEqual(answers[i]!.map((r) => (r === 'ok' ? 'exists' : r)))
          }
          expect(await Promise.all(ACCOUNTS.map(([id]) => store.getAccount(p + id)))).toEqual(before)
        }),
        { numRuns: 100 },
      )
      expect(await store.reconcile()).toEqual([])
    },
    120_000,
  )
})
