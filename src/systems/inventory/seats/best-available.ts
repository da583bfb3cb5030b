/**
 * "Best available N together": N adjacent seats in one row, the best by the venue's order (its
 * sections and rows as listed, first = best) and, within a row, the closest to the row's centre;
 * and never a block that leaves a single free seat stranded next to it (between the block and a
 * taken seat or the row's end) when some block that strands none exists. A single seat left that
 * way is one nobody buying two or more can use. Only when every block would strand one does the
 * choice fall back to the best of those that strand the fewest.
 *
 * Cost: one pass per row over its seats, O(S) for S seats of the show, O(1) per candidate (a
 * running count of eligible seats in the window and the free runs on either side, precomputed per
 * row), no sorting. README, Seat selection.
 */

/** A seat of a row in number order: free (anyone could take it), eligible (this request may). */
export interface RowSeat {
  seatNo: number
  free: boolean
  /** Free and of the category (and accessibility) asked for. */
  eligible: boolean
}

export interface SeatRow {
  /** Lower is better: the venue's order of sections, then rows. */
  rank: number
  /** The row's seats in number order; neighbours in the array are neighbours in the row. */
  seats: RowSeat[]
}

interface Candidate {
  strands: number
  rank: number
  /** Twice the distance of the block's middle from the row's middle (an integer). */
  offCentre: number
  row: number
  start: number
}

/** Whether `a` is a better choice than `b` (fewer strands, better row, nearer the centre, further left). */
function better(a: Candidate, b: Candidate): boolean {
  if (a.strands !== b.strands) return a.strands < b.strands
  if (a.rank !== b.rank) return a.rank < b.rank
  if (a.offCentre !== b.offCentre) return a.offCentre < b.offCentre
  if (a.row !== b.row) return a.row < b.row
  return a.start < b.start
}

/** Free seats stranded on either side of the block [start, start + n) of `seats`: 0, 1 or 2. */
export function strandedBy(seats: readonly RowSeat[], start: number, n: number): number {
  let left = 0
  for (let i = start - 1; i >= 0 && seats[i]!.free; i--) left++
  let right = 0
  for (let i = start + n; i < seats.length && seats[i]!.free; i++) right++
  return (left === 1 ? 1 : 0) + (right === 1 ? 1 : 0)
}

/** The seat numbers of the best block of `n` eligible adjacent seats in one row, or undefined if none. */
export function bestTogether(rows: readonly SeatRow[], n: number): number[] | undefined {
  if (!Number.isInteger(n) || n < 1) return undefined
  let best: Candidate | undefined
  rows.forEach((row, r) => {
    const seats = row.seats
    const len = seats.length
    if (len < n) return
    // freeBefore[i]: free seats in a run ending just before i; freeFrom[i]: in a run starting at i.
    const freeBefore = new Int32Array(len + 1)
    for (let i = 1; i <= len; i++) freeBefore[i] = seats[i - 1]!.free ? freeBefore[i - 1]! + 1 : 0
    const freeFrom = new Int32Array(len + 1)
    for (let i = len - 1; i >= 0; i--) freeFrom[i] = seats[i]!.free ? freeFrom[i + 1]! + 1 : 0
    let eligible = 0
    for (let i = 0; i < len; i++) {
      if (seats[i]!.eligible) eligible++
      if (i >= n && seats[i - n]!.eligible) eligible--
      if (i < n - 1 || eligible < n) continue
      const start = i - n + 1
      const left = freeBefore[start]!
      const right = freeFrom[start + n]!
      const c: Candidate = {
        strands: (left === 1 ? 1 : 0) + (right === 1 ? 1 : 0),
        rank: row.rank,
        offCentre: Math.abs(2 * start + n - len),
        row: r,
        start,
      }
      if (!best || better(c, best)) best = c
    }
  })
  if (!best) return undefined
  const seats = rows[best.row]!.seats
  return seats.slice(best.start, best.start + n).map((s) => s.seatNo)
}
