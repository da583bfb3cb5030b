/**
 * Properties of "best available N together" (best-available.ts) against a brute-force oracle
 * over random rows of taken, free and free-but-ineligible seats: a block is returned exactly when
 * one exists; it is N adjacent eligible seats of one row; it strands no single free seat when some
 * block strands none (in general: as few as any block); and no block that strands as few is better
 * placed (row, then nearness to the row's centre).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bestTogether, type SeatRow } from './best-available.js'

type Cell = 'taken' | 'free' | 'other'

/** The rows of a layout; seat numbers run on across rows from 1. */
function rowsOf(layout: Cell[][]): SeatRow[] {
  let no = 0
  return layout.map((cells, r) => ({
    rank: r,
    seats: cells.map((c) => ({ seatNo: ++no, free: c !== 'taken', eligible: c === 'free' })),
  }))
}

interface Block {
  row: number
  start: number
  strands: number
  rank: number
  offCentre: number
}

/** Every block of n eligible adjacent seats, with what it strands, by the definition in the README. */
function oracle(layout: Cell[][], n: number): Block[] {
  const out: Block[] = []
  layout.forEach((cells, row) => {
    for (let start = 0; start + n <= cells.length; start++) {
      if (!cells.slice(start, start + n).every((c) => c === 'free')) continue
      const after = cells.map((c, i) => (i >= start && i < start + n ? 'taken' : c))
      // A stranded seat: free, next to the block, and taken (or the row's end) on its other side too.
      const blocked = (i: number) => i < 0 || i >= after.length || after[i] === 'taken'
      const lone = (i: number) => !blocked(i) && blocked(i - 1) && blocked(i + 1)
      const strands = (lone(start - 1) ? 1 : 0) + (lone(start + n) ? 1 : 0)
      const centre = Math.abs(start + (n - 1) / 2 - (cells.length - 1) / 2)
      out.push({ row, start, strands, rank: row, offCentre: centre })
    }
  })
  return out
}

const layouts = fc.array(
  fc.array(fc.constantFrom<Cell>('taken', 'free', 'free', 'other'), { minLength: 1, maxLength: 16 }),
  { minLength: 1, maxLength: 5 },
)

describe('best available N together', () => {
  it('returns a block exactly when one exists, N adjacent eligible seats of one row', () => {
    fc.assert(
      fc.property(layouts, fc.integer({ min: 1, max: 6 }), (layout, n) => {
        const rows = rowsOf(layout)
        const got = bestTogether(rows, n)
        const blocks = oracle(layout, n)
        expect(got === undefined).toBe(blocks.length === 0)
        if (!got) return
        expect(got).toHaveLength(n)
        const row = rows.find((r) => r.seats.some((s) => s.seatNo === got[0]))!
        const start = row.seats.findIndex((s) => s.seatNo === got[0])
        expect(row.seats.slice(start, start + n).map((s) => s.seatNo)).toEqual(got)
        expect(row.seats.slice(start, start + n).every((s) => s.eligible)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('never strands a single seat when another choice exists, and picks the best placed of those', () => {
    fc.assert(
      fc.property(layouts, fc.integer({ min: 1, max: 6 }), (layout, n) => {
        const rows = rowsOf(layout)
        const got = bestTogether(rows, n)
        const blocks = oracle(layout, n)
        if (!got) return
        const rowIndex = rows.findIndex((r) => r.seats.some((s) => s.seatNo === got[0]))
        const start = rows[rowIndex]!.seats.findIndex((s) => s.seatNo === got[0])
        const chosen = blocks.find((b) => b.row === rowIndex && b.start === start)!
        const fewest = Math.min(...blocks.map((b) => b.strands))
        expect(chosen.strands).toBe(fewest)
        for (const b of blocks.filter((x) => x.strands === fewest)) {
          const better = b.rank < chosen.rank || (b.rank === chosen.rank && b.offCentre < chosen.offCentre)
          expect(better, `block at row ${b.row} seat ${b.start} is better than the one chosen`).toBe(false)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
