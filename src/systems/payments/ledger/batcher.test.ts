import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TransferBatcher } from './batcher.js'
import type { TransferRequest, TransferResult } from './ports.js'

/** A fake database: records which batches were in flight together, answers after a tick. */
function harness(maxInFlight: number, maxBatch: number) {
  const inFlight = new Set<readonly TransferRequest[]>()
  const overlaps: string[] = []
  const applied: string[] = []
  const accountsOf = (b: readonly TransferRequest[]) =>
    new Set(b.flatMap((t) => [t.debitAccountId, t.creditAccountId].filter((x): x is string => !!x)))
  const batcher = new TransferBatcher({
    maxBatch,
    maxInFlight,
    async apply(batch) {
      const mine = accountsOf(batch)
      for (const other of inFlight) for (const a of accountsOf(other)) if (mine.has(a)) overlaps.push(a)
      inFlight.add(batch)
      await new Promise((r) => setTimeout(r, Math.random() * 3))
      inFlight.delete(batch)
      for (const t of batch) applied.push(t.id)
      return batch.map((): TransferResult => 'ok')
    },
  })
  return { batcher, overlaps, applied }
}

describe('TransferBatcher', () => {
  it('never has two batches in flight that share an account, and answers every request once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 20 }),
        async (pairs, maxInFlight, maxBatch) => {
          const { batcher, overlaps, applied } = harness(maxInFlight, maxBatch)
          const answers = await Promise.all(
            pairs.map(([d, c], i) =>
              batcher.submit([
                {
                  id: `t${i}`,
                  kind: 'single',
                  debitAccountId: `a${d}`,
                  creditAccountId: `a${c}`,
                  amount: 1n,
                },
              ]),
            ),
          )
          expect(overlaps).toEqual([])
          expect(answers.every((a) => a.length === 1 && a[0] === 'ok')).toBe(true)
          expect([...applied].sort()).toEqual(pairs.map((_, i) => `t${i}`).sort())
        },
      ),
      { numRuns: 60 },
    )
  })

  it('keeps the order of requests on one account (a waiting request is not overtaken on it)', async () => {
    const { batcher, applied } = harness(4, 3)
    const all: Promise<unknown>[] = []
    for (let i = 0; i < 40; i++) {
      // Every request touches `hot`; some also a private account, so some could go alone.
      const other = i % 3 === 0 ? 'hot' : `p${i}`
      all.push(
        batcher.submit([
          { id: `t${i}`, kind: 'single', debitAccountId: 'hot', creditAccountId: other, amount: 1n },
        ]),
      )
    }
    await Promise.all(all)
    const order = applied.map((id) => Number(id.slice(1)))
    expect(order).toEqual([...order].sort((a, b) => a - b))
  })

  it('keeps a post apart from the batch that is creating its pending transfer', async () => {
    const { batcher, applied } = harness(4, 10)
    const pending = batcher.submit([
      { id: 'p1', kind: 'pending', debitAccountId: 'a', creditAccountId: 'b', amount: 5n },
    ])
    await pending
    const post = batcher.submit([{ id: 'post1', kind: 'post', pendingId: 'p1' }])
    const other = batcher.submit([
      { id: 's1', kind: 'single', debitAccountId: 'a', creditAccountId: 'c', amount: 1n },
    ])
    await Promise.all([post, other])
    expect(applied).toEqual(['p1', 'post1', 's1'])
  })
})
