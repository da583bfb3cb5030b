/**
 * Stable ordering with fractional indexes: a card's rank is a string that sorts between its
 * neighbours' (`fractional-indexing`, base-62 keys), so moving one card writes one rank and never
 * renumbers the others. Ties (two ranks equal, which decisions on the current state never
 * produce) are broken by id, so every reader sorts alike.
 */
import { generateKeyBetween } from 'fractional-indexing'
import { BoardError } from '../errors.js'

export interface Ranked {
  id: string
  rank: string
  archived: boolean
}

/** Sort by rank, then id (byte order, as PostgreSQL's `COLLATE "C"` does). */
export function byRank(a: Ranked, b: Ranked): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Where the caller wants an item: right after `after`, right before `before`, or at the end. */
export interface Placement {
  after?: string | undefined
  before?: string | undefined
}

/**
 * The rank for an item placed among `siblings` (the target list's items, the moving one left
 * out). `after` and `before`, when both given, must be neighbours among the visible (unarchived)
 * siblings, or the caller's view is stale (409).
 */
export function rankFor(siblings: Ranked[], place: Placement, noun = 'card'): string {
  const sorted = [...siblings].sort(byRank)
  const at = (id: string, which: string) => {
    const i = sorted.findIndex((s) => s.id === id)
    if (i < 0) throw BoardError.positionStale(`${which} ${noun} ${id} is not in the target list`)
    return i
  }
  if (place.after !== undefined) {
    const i = at(place.after, 'after')
    if (place.before !== undefined) {
      const j = at(place.before, 'before')
      const nextVisible = sorted.slice(i + 1).find((s) => !s.archived)
      if (nextVisible?.id !== place.before)
        throw BoardError.positionStale(
          `${noun}s ${place.after} and ${place.before} are no longer neighbours: reread the board`,
        )
      return generateKeyBetween(sorted[i]!.rank, sorted[Math.min(i + 1, j)]!.rank)
    }
    return generateKeyBetween(sorted[i]!.rank, sorted[i + 1]?.rank ?? null)
  }
  if (place.before !== undefined) {
    const j = at(place.before, 'before')
    return generateKeyBetween(sorted[j - 1]?.rank ?? null, sorted[j]!.rank)
  }
  return generateKeyBetween(sorted.at(-1)?.rank ?? null, null)
}
