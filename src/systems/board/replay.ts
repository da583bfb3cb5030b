/**
 * A board replayed from its events alone (the aggregate fold, no views): what tests compare the
 * projection with, and what `GET /board/admin/boards/{id}/replay` shows an operator.
 */
import { byRank } from './domain/ordering.js'
import { type BoardState, emptyBoard, fold } from './domain/state.js'
import type { BoardEvent } from './events/types.js'

/** The lists (unarchived) and their unarchived cards in order, from a folded state. */
export function layoutOf(s: BoardState): { list: string; cards: string[] }[] {
  const lists = Object.entries(s.lists)
    .filter(([, l]) => !l.archived)
    .map(([id, l]) => ({ id, rank: l.rank, archived: l.archived }))
    .sort(byRank)
  return lists.map((l) => ({
    list: l.id,
    cards: Object.entries(s.cards)
      .filter(([, c]) => c.listId === l.id && !c.archived)
      .map(([id, c]) => ({ id, rank: c.rank, archived: c.archived }))
      .sort(byRank)
      .map((c) => c.id),
  }))
}

/** The state of `board` from its events alone. */
export function replay(board: string, events: BoardEvent[]): BoardState {
  return fold(emptyBoard(board), events)
}
