/**
 * The board's events: what happened, in the past tense, immutable once written. Each type has a
 * schema version; the current one is what `CURRENT` says, older ones are upcast when read
 * (upcast.ts), so the code below only ever sees the current shapes.
 */

/** Every event's data, by type, at its current schema version. */
export interface EventData {
  BoardCreated: { name: string; owner: string }
  BoardRenamed: { name: string }
  BoardArchived: Record<string, never>
  BoardRestored: Record<string, never>
  MemberAdded: { user: string }
  MemberRemoved: { user: string }
  ListAdded: { listId: string; name: string; rank: string }
  ListRenamed: { listId: string; name: string }
  ListArchived: { listId: string }
  ListRestored: { listId: string }
  /** v2: `title` (v1 called it `name`) and the card's `rank` in its list. */
  CardAdded: { cardId: string; listId: string; title: string; rank: string }
  CardRenamed: { cardId: string; title: string }
  CardMoved: { cardId: string; fromListId: string; toListId: string; rank: string }
  CardArchived: { cardId: string }
  CardRestored: { cardId: string }
  CardDueSet: { cardId: string; dueAt: string | null }
  CardLabeled: { cardId: string; label: string }
  CardUnlabeled: { cardId: string; label: string }
  CardAssigned: { cardId: string; user: string }
  CardUnassigned: { cardId: string; user: string }
  ChecklistItemAdded: { cardId: string; itemId: string; text: string }
  ChecklistItemChecked: { cardId: string; itemId: string; done: boolean }
  ChecklistItemRemoved: { cardId: string; itemId: string }
  CommentAdded: { cardId: string; commentId: string; text: string; mentions: string[] }
  AttachmentAdded: { cardId: string; attachmentId: string; url: string; name: string }
  AttachmentRemoved: { cardId: string; attachmentId: string }
}

export type EventType = keyof EventData

/** The schema version each type is written at today. */
export const CURRENT: { readonly [T in EventType]: number } = {
  BoardCreated: 1,
  BoardRenamed: 1,
  BoardArchived: 1,
  BoardRestored: 1,
  MemberAdded: 1,
  MemberRemoved: 1,
  ListAdded: 1,
  ListRenamed: 1,
  ListArchived: 1,
  ListRestored: 1,
  CardAdded: 2,
  CardRenamed: 1,
  CardMoved: 1,
  CardArchived: 1,
  CardRestored: 1,
  CardDueSet: 1,
  CardLabeled: 1,
  CardUnlabeled: 1,
  CardAssigned: 1,
  CardUnassigned: 1,
  ChecklistItemAdded: 1,
  ChecklistItemChecked: 1,
  ChecklistItemRemoved: 1,
  CommentAdded: 1,
  AttachmentAdded: 1,
  AttachmentRemoved: 1,
}

/** An event a command decided on, before the store gives it a version and a position. */
export type DraftEvent = { [T in EventType]: { type: T; data: EventData[T] } }[EventType]

/** An event as read from the log (upcast to the current schema). */
export type BoardEvent = DraftEvent & {
  board: string
  /** The event's version in its board's stream (1, 2, 3, ...): the live stream's offset. */
  version: number
  /** Its place in the whole log (a sequence: unique, increasing, not in commit order). */
  position: number
  actor: string
  at: string
}

/** The card an event is about, if any (activity per card). */
export function cardOf(e: DraftEvent): string | undefined {
  const d = e.data as { cardId?: string }
  return d.cardId
}
